// The flow editor: nodes as cards with a form field per setting, built from the
// node specifications the server sends with the page. Saving and test mode post
// the whole definition as JSON; the server validates it and answers with the
// path of any bad field, which is shown beside that field. DOM calls and
// textContent only, so nothing typed into a flow can become markup.
(function () {
  "use strict";

  var dataNode = document.getElementById("editor-data");
  if (!dataNode) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var specs = data.specs;
  var definition = data.definition;
  var nodesBox = document.getElementById("nodes");
  var startSelect = document.getElementById("flow-start");
  var nameInput = document.getElementById("flow-name");
  var message = document.getElementById("editor-message");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];
  var NUMBER_FIELDS = {timeout: 1, retries: 1, min_length: 1, max_length: 1, priority: 1,
    max_seconds: 1};

  nameInput.value = data.flow.name;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function option(select, value, label, selected) {
    var opt = el("option", {value: value}, label);
    if (selected) {
      opt.selected = true;
    }
    select.appendChild(opt);
  }

  function nodeIds() {
    return Object.keys(definition.nodes);
  }

  function selectOf(values, current, allowEmpty, emptyLabel) {
    var select = el("select");
    if (allowEmpty) {
      option(select, "", emptyLabel || "(none)", !current);
    }
    values.forEach(function (value) { option(select, value, value === "" ? "(none)" : value, value === current); });
    if (current && values.indexOf(current) < 0) {
      option(select, current, current + " (unknown)", true);
    }
    return select;
  }

  function mappingText(mapping) {
    return Object.keys(mapping || {}).map(function (key) { return key + " = " + mapping[key]; }).join("\n");
  }

  function parseMapping(text) {
    var result = {};
    text.split("\n").forEach(function (line) {
      var at = line.indexOf("=");
      if (line.trim() && at > 0) {
        result[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
    });
    return result;
  }

  function fieldInput(id, spec, node) {
    var value = node[spec.name];
    var input;
    if (spec.kind === "node") {
      input = selectOf(nodeIds().filter(function (n) { return n !== id; }), value, true);
    } else if (spec.kind === "prompt") {
      input = selectOf(data.prompts, value, true);
    } else if (spec.kind === "queue") {
      input = selectOf(data.queues, value, true, "(choose a queue)");
    } else if (spec.kind === "schedule") {
      input = selectOf(data.schedules, value, true, data.schedules.length ? "(none)" : "(no schedules yet)");
    } else if (spec.kind === "choice") {
      input = selectOf(spec.options, value === undefined ? spec.options[0] : value, false);
    } else if (spec.kind === "textarea" || spec.kind === "mapping") {
      input = el("textarea", {rows: "3"});
      input.value = spec.kind === "mapping" ? mappingText(value) : (value || "");
    } else if (spec.kind === "choices") {
      return choicesInput(id, value || {});
    } else {
      input = el("input", spec.kind === "number" ? {type: "number", step: "any"} : {});
      input.value = value === undefined || value === null ? "" : String(value);
    }
    input.dataset.field = spec.name;
    input.dataset.kind = spec.kind;
    input.addEventListener("change", function () { readCard(id); });
    return input;
  }

  function choicesInput(id, choices) {
    var grid = el("div", {"class": "choices"});
    KEYS.forEach(function (key) {
      var label = el("label", {}, "Key " + key + " ");
      var select = selectOf(nodeIds().filter(function (n) { return n !== id; }), choices[key], true, "(not used)");
      select.dataset.choice = key;
      select.addEventListener("change", function () { readCard(id); });
      label.appendChild(select);
      grid.appendChild(label);
    });
    grid.dataset.field = "choices";
    grid.dataset.kind = "choices";
    return grid;
  }

  function readCard(id) {
    var card = document.getElementById("node-" + id);
    var node = {type: definition.nodes[id].type};
    card.querySelectorAll("[data-field]").forEach(function (input) {
      var name = input.dataset.field;
      var kind = input.dataset.kind;
      if (kind === "choices") {
        var choices = {};
        input.querySelectorAll("select").forEach(function (select) {
          if (select.value) {
            choices[select.dataset.choice] = select.value;
          }
        });
        node.choices = choices;
      } else if (kind === "mapping") {
        node[name] = parseMapping(input.value);
      } else if (input.value !== "" || kind === "choice") {
        node[name] = NUMBER_FIELDS[name] && input.value !== "" ? Number(input.value) : input.value;
      }
    });
    definition.nodes[id] = node;
  }

  function card(id) {
    var node = definition.nodes[id];
    var spec = specs[node.type];
    var box = el("article", {"class": "node-card", id: "node-" + id});
    var head = el("header");
    head.appendChild(el("h3", {}, id + " · " + node.type));
    var remove = el("button", {type: "button", "class": "danger"}, "Remove");
    remove.addEventListener("click", function () { removeNode(id); });
    head.appendChild(remove);
    box.appendChild(head);
    box.appendChild(el("p", {"class": "help"}, spec ? spec.about : "Unknown node type."));
    box.appendChild(el("p", {"class": "error", id: "error-" + id, hidden: "hidden"}));
    (spec ? spec.fields : []).forEach(function (field) {
      var row = el("div", {"class": "field"});
      var inputId = "f-" + id + "-" + field.name;
      row.appendChild(el("label", {"for": inputId}, field.label));
      var input = fieldInput(id, field, node);
      input.id = inputId;
      row.appendChild(input);
      row.appendChild(el("p", {"class": "error", id: inputId + "-error", hidden: "hidden"}));
      if (field.help) {
        row.appendChild(el("p", {"class": "help"}, field.help));
      }
      box.appendChild(row);
    });
    return box;
  }

  function render() {
    nodesBox.textContent = "";
    nodeIds().forEach(function (id) { nodesBox.appendChild(card(id)); });
    startSelect.textContent = "";
    nodeIds().forEach(function (id) { option(startSelect, id, id, id === definition.start); });
  }

  function removeNode(id) {
    if (nodeIds().length === 1) {
      show("A flow needs at least one node.", true);
      return;
    }
    delete definition.nodes[id];
    // Edges to the removed node are cleared, so the validator names each one to fix.
    nodeIds().forEach(function (other) {
      var node = definition.nodes[other];
      Object.keys(node).forEach(function (key) {
        if (node[key] === id) {
          delete node[key];
        }
      });
      if (node.choices) {
        Object.keys(node.choices).forEach(function (key) {
          if (node.choices[key] === id) {
            delete node.choices[key];
          }
        });
      }
    });
    if (definition.start === id) {
      definition.start = nodeIds()[0];
    }
    render();
  }

  function show(text, bad) {
    message.textContent = text;
    message.className = bad ? "flash flash-error" : "flash flash-success";
  }

  function clearErrors() {
    document.querySelectorAll("#nodes .error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
  }

  function showFieldError(field, text) {
    // "definition.nodes.menu.choices.1" -> node "menu", field "choices".
    var parts = field.split(".");
    if (parts[0] === "definition" && parts[1] === "nodes" && parts.length >= 3) {
      var id = parts[2];
      var target = document.getElementById("f-" + id + "-" + parts[3] + "-error") ||
        document.getElementById("error-" + id);
      if (target) {
        target.textContent = (parts.length > 4 ? parts.slice(3).join(".") + ": " : "") + text;
        target.hidden = false;
        target.scrollIntoView({block: "center"});
      }
    }
  }

  function current() {
    nodeIds().forEach(readCard);
    definition.start = startSelect.value;
    return definition;
  }

  function post(url, body, done) {
    var request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", csrf);
    request.onload = function () {
      var answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (e) {
        show("The box answered with an error page (" + request.status + "); reload and log in again.", true);
        return;
      }
      done(request.status, answer);
    };
    request.onerror = function () { show("The box did not answer.", true); };
    request.send(JSON.stringify(body));
  }

  function save(activate) {
    clearErrors();
    post(data.urls.save, {name: nameInput.value, definition: current(), activate: activate},
      function (status, answer) {
        if (status !== 200) {
          show(answer.field + ": " + answer.error, true);
          showFieldError(answer.field || "", answer.error);
          return;
        }
        show("Saved as version " + answer.version + (activate ? ", now active." : " (not active)."), false);
        window.location.assign(answer.edit_url);
      });
  }

  document.getElementById("save-draft").addEventListener("click", function () { save(false); });
  document.getElementById("save-active").addEventListener("click", function () { save(true); });
  startSelect.addEventListener("change", function () { definition.start = startSelect.value; });

  var typeSelect = document.getElementById("new-type");
  Object.keys(specs).forEach(function (type) { option(typeSelect, type, type + ": " + specs[type].about, false); });
  document.getElementById("add-node").addEventListener("click", function () {
    var idInput = document.getElementById("new-id");
    var id = idInput.value.trim();
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(id)) {
      show("A node name is 1 to 40 letters, digits, - or _.", true);
      return;
    }
    if (definition.nodes[id]) {
      show("There is already a node named " + id + ".", true);
      return;
    }
    current();
    definition.nodes[id] = {type: typeSelect.value};
    idInput.value = "";
    render();
    show("Node " + id + " added; connect it from another node so callers can reach it.", false);
    document.getElementById("node-" + id).scrollIntoView();
  });

  document.getElementById("run-test").addEventListener("click", function () {
    var world = {
      caller_number: document.getElementById("test-caller").value,
      schedules_open: document.getElementById("test-open").checked,
      holiday: document.getElementById("test-holiday").value,
      lookup_ok: document.getElementById("test-lookup-ok").checked,
      lookup_values: parseMapping(document.getElementById("test-lookup-values").value),
      transfer_answered: document.getElementById("test-transfer").checked
    };
    var list = document.getElementById("test-steps");
    var result = document.getElementById("test-result");
    clearErrors();
    post(data.urls.test, {definition: current(), keys: document.getElementById("test-keys").value, world: world},
      function (status, answer) {
        list.textContent = "";
        if (status !== 200) {
          result.textContent = answer.field + ": " + answer.error;
          showFieldError(answer.field || "", answer.error);
          return;
        }
        answer.steps.forEach(function (step) {
          list.appendChild(el("li", {"class": "step-" + step.kind}, step.kind + ": " + step.text));
        });
        result.textContent = answer.finished ? "The call left the flow at " + answer.node + "." :
          "Now at " + answer.node + ": " + answer.waiting + ".";
      });
  });

  render();
}());
