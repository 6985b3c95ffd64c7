// Line ranges on a paste's page. Without this script every line number is already a link
// (#L3) and CSS :target marks the line it names. With it: a click on a line number sets
// #L3 without jumping the page, a shift-click extends that to a range (#L3-L7), and a
// range in the address (on load, or when the fragment changes) is marked and scrolled to.
(function () {
  "use strict";
  var table = document.querySelector(".contents table.lines");
  if (!table) {
    return;
  }
  var FRAGMENT = /^#L(\d+)(?:-L(\d+))?$/;
  var from = null; // the line a shift-click extends from

  function range(hash) {
    var match = FRAGMENT.exec(hash);
    if (!match) {
      return null;
    }
    var first = Number(match[1]);
    var last = match[2] ? Number(match[2]) : first;
    return first <= last ? [first, last] : [last, first];
  }

  function fragment(first, last) {
    return first === last ? "#L" + first : "#L" + first + "-L" + last;
  }

  // Mark the lines of `lines` ([first, last], or null for none); when `scroll`, scroll to
  // the first one.
  function mark(lines, scroll) {
    var marked = table.querySelectorAll(".marked");
    for (var i = 0; i < marked.length; i++) {
      marked[i].classList.remove("marked");
    }
    if (!lines) {
      return;
    }
    for (var n = lines[0]; n <= lines[1]; n++) {
      var line = document.getElementById("L" + n);
      if (!line) {
        break; // past the last line
      }
      line.classList.add("marked");
    }
    var first = document.getElementById("L" + lines[0]);
    if (scroll && first) {
      first.scrollIntoView({ block: "start", inline: "nearest" });
    }
  }

  // From here on the script marks lines: :target would keep marking the line the page
  // was opened at after a click has moved on (history.pushState sets no :target).
  table.classList.add("scripted");

  table.addEventListener("click", function (event) {
    var link = event.target.closest("td.linenos a");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.altKey) {
      return; // a middle click or ctrl-click opens the link as links open
    }
    event.preventDefault();
    var line = Number(link.getAttribute("href").slice(2));
    var lines = [line, line];
    if (event.shiftKey && from !== null) {
      lines = [Math.min(from, line), Math.max(from, line)];
      window.getSelection().removeAllRanges(); // a shift-click selects text, too
    } else {
      from = line;
    }
    history.pushState(null, "", fragment(lines[0], lines[1]));
    mark(lines, false);
  });

  // The lines the address names, marked and scrolled to.
  function follow() {
    var lines = range(location.hash);
    from = lines ? lines[0] : null;
    mark(lines, true);
  }

  // A link to other lines, an edited address, back and forward: all change the fragment.
  window.addEventListener("hashchange", follow);
  follow();
})();
