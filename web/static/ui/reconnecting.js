// The notice shown while the session reconnects by itself (reconnect.js),
// and the screen-reader announcements that go with it.
import { toast, dismissToast } from './toast.js';
import { announce } from './announcer.js';
import { t } from '../i18n.js';

/** Shows session's reconnections until it ends. */
export function showReconnection(session) {
  session.addEventListener('reconnecting', () => {
    toast(t('reconnect.lost'), { key: 'reconnecting', kind: 'warn', timeout: 0, iconName: 'wifiOff' });
    announce(t('reconnect.lost'));
  });
  session.addEventListener('reconnected', (event) => {
    const text = t(event.detail?.resumed ? 'reconnect.back' : 'reconnect.rejoined');
    dismissToast('reconnecting');
    toast(text, { key: 'reconnected', kind: 'info', timeout: 4000, iconName: 'check' });
    announce(text);
  });
}
