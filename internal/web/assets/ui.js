// trailq web UI: the parts the pages' tables share (sortable headers, pagers). Loaded before app.js; every value
// goes on the page as text.
"use strict";

// sortableHeader is a column header that sorts its table by key: a click, or Enter or Space when focused (it is
// in the tab order). sort is the table's {key, dir}; onSort gets the new one. firstDir is the direction of a
// first click on the column (1 ascending, -1 descending).
function sortableHeader(key, label, sort, onSort, firstDir) {
  const th = document.createElement("th");
  th.className = "sortable";
  th.scope = "col";
  th.tabIndex = 0;
  th.dataset.key = key;
  th.textContent = label;
  th.setAttribute("aria-sort", sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
  if (sort.key === key) th.classList.add(sort.dir > 0 ? "sorted-asc" : "sorted-desc");
  const go = () => onSort({ key, dir: sort.key === key ? -sort.dir : (firstDir || 1) });
  th.addEventListener("click", go);
  th.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    ev.preventDefault();
    const table = th.closest("table");
    go();
    // The table was drawn again: the focus goes to this column's new header.
    if (table) refocusHeader(table, key);
  });
  return th;
}

// refocusHeader puts the focus back on the header of key in table after the table was drawn again.
function refocusHeader(table, key) {
  const th = table.querySelector('th[data-key="' + CSS.escape(key) + '"]');
  if (th) th.focus();
}

// pager fills box with previous/next buttons when there are several pages; go gets the page to show.
function pager(box, page, pages, go) {
  box.replaceChildren();
  if (pages <= 1) return;
  const button = (text, to, disabled) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.disabled = disabled;
    b.addEventListener("click", () => go(to));
    return b;
  };
  const span = document.createElement("span");
  span.textContent = "page " + (page + 1) + " of " + pages;
  box.append(button("‹ previous", page - 1, page === 0), span, button("next ›", page + 1, page >= pages - 1));
}
