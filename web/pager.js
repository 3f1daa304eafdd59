// Paging by cursor for a grid: the API's cursors only go forward, so the cursors of the pages
// seen are kept and "Newer" goes back through them.

import { $ } from './dom.js';

export function cursorPager(root, { limit, load }) {
  const label = $('[data-role=page]', root);
  const newer = $('[data-role=newer]', root);
  const older = $('[data-role=older]', root);
  let cursors = [undefined];
  let page = 0;
  let nextCursor = null;

  newer.addEventListener('click', () => {
    page = Math.max(0, page - 1);
    load();
  });
  older.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors[page + 1] = nextCursor;
    page += 1;
    load();
  });

  return {
    /** The cursor of the page to load now (undefined: the first). */
    get cursor() {
      return cursors[page];
    },
    get first() {
      return page === 0;
    },
    /** Back to the first page (filters changed). */
    reset() {
      cursors = [undefined];
      page = 0;
    },
    /** After a load: what the answer said of the next page, and the label with the rows shown. */
    loaded(rowCount, next) {
      nextCursor = next ?? null;
      const first = page * limit + 1;
      label.textContent = rowCount ? `Page ${page + 1} · rows ${first}–${first + rowCount - 1}` : `Page ${page + 1}`;
      newer.disabled = page === 0;
      older.disabled = !nextCursor;
    },
  };
}
