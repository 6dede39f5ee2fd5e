// Tile layout: picks the column count (and tile shape) that makes tiles
// as large as possible in the available space.

const GAP = 12;

/** Best {cols, w, h} for n tiles in a width×height box. */
export function bestLayout(n, width, height, gap = GAP) {
  const portrait = height > width;
  // Widescreen tiles by default; on a tall phone screen taller tiles use
  // the space better (videos are cropped to fill, like other apps do).
  const aspects = portrait ? [16 / 9, 4 / 3, 1, 3 / 4] : [16 / 9, 4 / 3];
  let best = { cols: 1, w: 0, h: 0 };
  for (const aspect of aspects) {
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      let w = (width - gap * (cols - 1)) / cols;
      let h = w / aspect;
      if (h * rows + gap * (rows - 1) > height) {
        h = (height - gap * (rows - 1)) / rows;
        w = h * aspect;
      }
      // Prefer larger area; 16:9 wins ties because it is tried first.
      if (w * h > best.w * best.h * 1.05) best = { cols, w, h };
    }
  }
  return { cols: best.cols, w: Math.floor(best.w), h: Math.floor(best.h) };
}

/** Keeps grid's tiles sized as its children or its box change. */
export function autoLayout(grid) {
  const apply = () => {
    // Tiles on other pages are hidden: they take no room.
    const n = [...grid.children].filter((c) => !c.hidden).length || 1;
    const { width, height } = grid.getBoundingClientRect();
    if (!width || !height) return;
    // The gap comes from CSS (it is smaller on phones).
    const gap = parseFloat(getComputedStyle(grid).columnGap) || GAP;
    const { w, h } = bestLayout(n, width, height, gap);
    grid.style.setProperty('--tile-w', `${w}px`);
    grid.style.setProperty('--tile-h', `${h}px`);
    grid.dataset.count = String(n);
  };
  const resize = new ResizeObserver(apply);
  resize.observe(grid);
  const children = new MutationObserver(apply);
  children.observe(grid, { childList: true, subtree: true, attributeFilter: ['hidden'] });
  apply();
  return () => {
    resize.disconnect();
    children.disconnect();
  };
}
