// The organisation pickers (coordination/widgets.py): a select grouped by kind and area
// (multiple, or one organisation) becomes a search box over the directory
// (coordination:organisation_search) and a list of the chosen units with their
// reachability. The select stays in the form and is what is submitted; without this script
// it is used as it is. With data-kb-only-listed the search offers only the select's options.
(function () {
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function enhance(select) {
    if (select.dataset.kbEnhanced) return;
    select.dataset.kbEnhanced = "1";
    var data = select.dataset;
    var onlyListed = "kbOnlyListed" in data;
    var separator = data.kbSearchUrl.indexOf("?") === -1 ? "?" : "&";
    var box = element("div", "kb-picker");
    var chosen = element("ul", "kb-picker__chosen");
    chosen.setAttribute("aria-label", data.kbChosenLabel);
    var input = element("input", "kb-picker__search");
    input.type = "search";
    input.autocomplete = "off";
    input.setAttribute("aria-label", data.kbSearchLabel);
    input.placeholder = data.kbSearchLabel;
    var results = element("ul", "kb-picker__results");
    var status = element("p", "kb-muted kb-picker__status");
    status.setAttribute("role", "status");
    box.append(chosen, input, status, results);
    select.hidden = true;
    select.after(box);

    function option(id) {
      return select.querySelector('option[value="' + String(id) + '"]');
    }

    function render() {
      chosen.replaceChildren();
      Array.prototype.forEach.call(select.selectedOptions, function (opt) {
        if (opt.value === "") return; // the empty choice of a single select
        var item = element("li", "kb-picker__chip", opt.textContent + " ");
        var remove = element("button", "kb-button kb-button--secondary", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", data.kbRemoveLabel + ": " + opt.textContent);
        remove.addEventListener("click", function () {
          if (select.multiple) opt.selected = false;
          else select.value = "";
          render();
          input.focus();
        });
        item.append(remove);
        chosen.append(item);
      });
    }

    function choose(row) {
      var opt = option(row.id);
      if (!opt && onlyListed) return;
      if (!opt) {
        opt = new Option(row.label, row.id);
        select.append(opt);
      }
      opt.selected = true;
      input.value = "";
      results.replaceChildren();
      status.textContent = "";
      render();
      input.focus();
    }

    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) {
        results.replaceChildren();
        return;
      }
      timer = setTimeout(function () {
        fetch(data.kbSearchUrl + separator + "q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.json(); })
          .then(function (body) {
            results.replaceChildren();
            var rows = body.results.filter(function (row) {
              return !onlyListed || option(row.id);
            });
            status.textContent = rows.length ? "" : data.kbNoneLabel;
            rows.forEach(function (row) {
              var opt = option(row.id);
              row.label = opt ? opt.textContent : row.name + " (" + row.area + ")";
              var item = element("li");
              var pick = element("button", "kb-picker__result");
              pick.type = "button";
              pick.append(element("span", "", row.name + " "));
              pick.append(element("span", "kb-muted", row.kind + ", " + row.area + " "));
              pick.append(element("span", "kb-badge kb-badge--" + row.reachability, row.reachability_label));
              pick.disabled = Boolean(opt && opt.selected);
              pick.addEventListener("click", function () { choose(row); });
              item.append(pick);
              results.append(item);
            });
          });
      }, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // never submits the form half-done
    });
    render();
  }

  function start() {
    document.querySelectorAll("select[data-kb-org-picker]").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("turbo:load", start);
})();
