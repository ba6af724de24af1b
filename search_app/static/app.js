/* plankb progressive enhancement: copy buttons, print button, sortable tables.
   Pages work without this file; CSP allows only same-origin scripts. */
(function () {
  "use strict";

  function announce(el, text) {
    var status = el.closest("article, main").querySelector(".copy-status");
    if (status) status.textContent = text;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Intranet sites are often plain http: fall back to a selected textarea.
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "sr-only";
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy") ? resolve() : reject(new Error("copy failed")); }
      catch (e) { reject(e); }
      finally { document.body.removeChild(ta); }
    });
  }

  function setUpCopy() {
    document.querySelectorAll(".js-copy").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var target = btn.getAttribute("data-copy-target");
        var text = target ? document.getElementById(target).textContent.trim() : btn.getAttribute("data-copy");
        if (!target && text.charAt(0) === "/") { text = new URL(text, window.location.href).href; }
        copyText(text).then(
          function () { announce(btn, "已复制：" + text); },
          function () { announce(btn, "无法自动复制，请手动选择文字复制。"); }
        );
      });
    });
  }

  function setUpPrint() {
    document.querySelectorAll(".js-print").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () { window.print(); });
    });
  }

  function cellValue(row, index, type) {
    var cell = row.children[index];
    var raw = cell ? (cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim()) : "";
    if (raw === "") return "";
    return type === "number" ? parseFloat(raw) || 0 : raw;
  }

  function setUpSort(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      var type = th.getAttribute("data-type") || "text";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.textContent = th.textContent;
      button.setAttribute("aria-label", "按" + th.textContent + "排序");
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        if (th.getAttribute("aria-sort") === null && type === "number") ascending = false;
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, type), y = cellValue(b, index, type);
          var xe = x === "" || x === null, ye = y === "" || y === null;
          if (xe || ye) return xe === ye ? 0 : xe ? 1 : -1;  // no value (无数据) sorts last either way
          var c = type === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  var phone = window.matchMedia("(max-width: 640px)");

  // Folding boxes (the duty page's contents, the search filters) start closed on phones so the
  // content is in view; a jump from the contents closes the box first, so it never covers its target.
  function setUpFolds() {
    var root = document.documentElement;
    var toc = document.querySelector(".toc-box");
    function measure() { if (toc) root.style.setProperty("--toc-h", toc.getBoundingClientRect().height + "px"); }
    document.querySelectorAll(".js-fold-on-phone").forEach(function (box) {
      if (phone.matches) box.open = false;
      box.addEventListener("toggle", measure);
    });
    if (toc) {
      toc.querySelectorAll("a[href^='#']").forEach(function (a) {
        a.addEventListener("click", function () { if (phone.matches) { toc.open = false; measure(); } });
      });
    }
    window.addEventListener("resize", measure);
    measure();
  }

  // Wide charts in a scroller open at their right end, where the target and the projection are.
  function setUpScrollEnd() {
    document.querySelectorAll(".js-scroll-end").forEach(function (el) { el.scrollLeft = el.scrollWidth; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpFolds();
    setUpScrollEnd();
    setUpCopy();
    setUpPrint();
    document.querySelectorAll("table.sortable").forEach(setUpSort);
  });
})();
