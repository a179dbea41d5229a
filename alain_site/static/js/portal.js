// ALAIN portal: small progressive enhancements. Every page works without this file; the
// server checks everything again. No inline script or style (the CSP forbids both): elements
// are shown and hidden with the `hidden` attribute.
(function () {
  "use strict";

  // Generate form: show only the input of the chosen source kind.
  function setUpSourceKind(form) {
    var radios = form.querySelectorAll('input[name="source_kind"]');
    var blocks = form.querySelectorAll("[data-source-kind]");
    if (!radios.length || !blocks.length) return;
    function update() {
      var chosen = form.querySelector('input[name="source_kind"]:checked');
      var kind = chosen ? chosen.value : null;
      blocks.forEach(function (block) {
        block.hidden = kind !== null && block.getAttribute("data-source-kind") !== kind;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  // Generate form: offer only the models of the chosen provider (values are "provider:model").
  function setUpModels(form) {
    var provider = form.querySelector('select[name="provider"]');
    var model = form.querySelector('select[name="teacher_model"]');
    if (!provider || !model) return;
    function update() {
      var key = provider.value + ":";
      model.querySelectorAll("optgroup").forEach(function (group) {
        var mine = false;
        group.querySelectorAll("option").forEach(function (option) {
          var match = option.value.indexOf(key) === 0;
          option.disabled = !match;
          mine = mine || match;
        });
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var selected = model.options[model.selectedIndex];
      if (selected && selected.disabled) model.value = "";
    }
    provider.addEventListener("change", update);
    update();
  }

  function init() {
    var form = document.getElementById("generate-form");
    if (form) {
      setUpSourceKind(form);
      setUpModels(form);
    }
    // After a refused submit, take keyboard and screen-reader users to the list of problems.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
