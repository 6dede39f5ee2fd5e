package signaling

import (
	"strings"
	"testing"
)

func TestDecodeAssemblyMessages(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	for _, tt := range []struct {
		name, in string
		valid    bool
	}{
		{"raise hand", `{"type":"hand","raised":true,"direct":true}`, true},
		{"lower hand", `{"type":"hand","raised":false}`, true},
		{"hand without raised", `{"type":"hand"}`, false},
		{"queue-next", `{"type":"queue-next"}`, true},
		{"queue-finish", `{"type":"queue-finish"}`, true},
		{"queue-call", `{"type":"queue-call","participant":"p1"}`, true},
		{"queue-call nobody", `{"type":"queue-call"}`, false},
		{"queue-remove", `{"type":"queue-remove","participant":"p1"}`, true},
		{"queue-move", `{"type":"queue-move","participant":"p1","position":0}`, true},
		{"queue-move without position", `{"type":"queue-move","participant":"p1"}`, false},
		{"queue-move far", `{"type":"queue-move","participant":"p1","position":-1}`, false},
		{"queue-rules", `{"type":"queue-rules","notYetSpokenFirst":true,"seconds":120}`, true},
		{"queue-rules empty", `{"type":"queue-rules"}`, false},
		{"queue-rules too long a turn", `{"type":"queue-rules","seconds":3601}`, false},
		{"proposal-open consent", `{"type":"proposal-open","question":"Adopt?","kind":"consent","secret":true}`, true},
		{"proposal-open choice", `{"type":"proposal-open","question":"Where?","kind":"choice","options":["here","there"]}`, true},
		{"proposal-open unknown kind", `{"type":"proposal-open","question":"Q","kind":"ranked"}`, false},
		{"proposal-open without question", `{"type":"proposal-open","kind":"yes-no"}`, false},
		{"proposal-open long question", `{"type":"proposal-open","kind":"yes-no","question":"` + long(301) + `"}`, false},
		{"proposal-open control character", `{"type":"proposal-open","kind":"yes-no","question":"a\u0000"}`, false},
		{"proposal-open right-to-left override", `{"type":"proposal-open","kind":"yes-no","question":"\u202EAdopt?"}`, false},
		{"proposal-open option with an isolate", `{"type":"proposal-open","kind":"choice","question":"Q","options":["a\u2068","b"]}`, false},
		{"proposal-open blank question", `{"type":"proposal-open","kind":"yes-no","question":" \u200b "}`, false},
		{"proposal-open blank option", `{"type":"proposal-open","kind":"choice","question":"Q","options":["a","\ufeff"]}`, false},
		{"proposal-open with joiners", `{"type":"proposal-open","kind":"choice","question":"می\u200Cخواهید?","options":["👍🏽","👩\u200D🔬"]}`, true},
		{"proposal-open 11 options", `{"type":"proposal-open","kind":"choice","question":"Q","options":["1","2","3","4","5","6","7","8","9","10","11"]}`, false},
		{"proposal-open long option", `{"type":"proposal-open","kind":"choice","question":"Q","options":["a","` + long(101) + `"]}`, false},
		{"proposal-open options not strings", `{"type":"proposal-open","kind":"choice","question":"Q","options":[1,2]}`, false},
		{"vote", `{"type":"vote","proposal":1,"choice":2,"reason":"it breaks the statutes"}`, true},
		{"vote without choice", `{"type":"vote","proposal":1}`, false},
		{"vote negative choice", `{"type":"vote","proposal":1,"choice":-1}`, false},
		{"vote without proposal", `{"type":"vote","choice":0}`, false},
		{"vote long reason", `{"type":"vote","proposal":1,"choice":2,"reason":"` + long(501) + `"}`, false},
		{"vote reason with a newline", `{"type":"vote","proposal":1,"choice":2,"reason":"a\nb"}`, false},
		{"vote reason with a right-to-left embedding", `{"type":"vote","proposal":1,"choice":2,"reason":"\u202Bno\u202C"}`, false},
		{"vote reason with a right-to-left mark", `{"type":"vote","proposal":1,"choice":2,"reason":"לא\u200F!"}`, true},
		{"proposal-close", `{"type":"proposal-close","proposal":3}`, true},
		{"proposal-close zero", `{"type":"proposal-close","proposal":0}`, false},
		{"minutes", `{"type":"minutes"}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeClientMessage([]byte(tt.in))
			if tt.valid && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if !tt.valid {
				if e, ok := err.(*Error); !ok || e.Code != CodeBadMessage {
					t.Fatalf("want bad-message, got %v", err)
				}
			}
		})
	}
}
