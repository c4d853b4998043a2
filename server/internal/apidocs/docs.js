// docs.js renders /openapi.json as the API documentation page (GET /docs). apidocs inlines it
// into docs.html and allows it by its hash in the Content-Security-Policy. It builds the DOM
// with createElement and textContent only, so text from the document cannot inject markup.
"use strict";
(function () {
  var doc = null;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  // inline renders one paragraph: `code` spans become <code>.
  function inline(text) {
    var span = el("span");
    (text || "").split("`").forEach(function (part, i) {
      span.appendChild(i % 2 ? el("code", { text: part }) : document.createTextNode(part));
    });
    return span;
  }

  // prose renders a description; blank lines separate paragraphs.
  function prose(text) {
    var frag = document.createDocumentFragment();
    if (!text) return frag;
    text.split(/\n\s*\n/).forEach(function (para) {
      frag.appendChild(el("p", null, inline(para)));
    });
    return frag;
  }

  function refName(ref) { return ref.split("/").pop(); }

  function resolve(ref) {
    if (ref.indexOf("#/") !== 0) throw new Error("unsupported $ref " + ref);
    var node = doc;
    ref.slice(2).split("/").forEach(function (p) {
      p = p.replace(/~1/g, "/").replace(/~0/g, "~");
      node = node && node[p];
    });
    if (node === undefined) throw new Error("unresolved $ref " + ref);
    return node;
  }

  function deref(obj) {
    var seen = 0;
    while (obj && obj.$ref && seen++ < 32) obj = resolve(obj.$ref);
    return obj;
  }

  function schemaLink(ref) {
    var name = refName(ref);
    return el("a", { href: "#schema-" + name, "class": "schema-ref", text: name });
  }

  // typeLabel describes a schema in one line: its type, format, enum and bounds.
  function typeLabel(s) {
    if (!s) return el("span", { text: "any" });
    if (s.$ref) return schemaLink(s.$ref);
    if (s.allOf && s.allOf.length === 1) {
      return el("span", null, typeLabel(s.allOf[0]),
        s["default"] !== undefined ? ", default " + JSON.stringify(s["default"]) : null);
    }
    var parts = [];
    var t = s.type || (s.properties ? "object" : "any");
    if (t === "array") {
      return el("span", null, "array of ", typeLabel(s.items));
    }
    parts.push(t + (s.format ? " (" + s.format + ")" : ""));
    if (s["enum"]) parts.push("one of " + s["enum"].map(function (v) { return JSON.stringify(v); }).join(", "));
    if (s.minimum !== undefined) parts.push("≥ " + s.minimum);
    if (s.maximum !== undefined) parts.push("≤ " + s.maximum);
    if (s["default"] !== undefined) parts.push("default " + JSON.stringify(s["default"]));
    return el("span", { text: parts.join(", ") });
  }

  // schemaView renders a schema: a table of properties for objects, a label otherwise.
  function schemaView(s, depth) {
    depth = depth || 0;
    var wrap = el("div");
    if (!s) return wrap;
    if (s.$ref) {
      wrap.appendChild(el("p", null, "Schema ", schemaLink(s.$ref)));
      if (depth < 3) wrap.appendChild(schemaView(deref(s), depth + 1));
      return wrap;
    }
    if (s.description && depth === 0) wrap.appendChild(prose(s.description));
    var props = s.properties;
    if (!props) {
      wrap.appendChild(el("p", null, "Type: ", typeLabel(s)));
      return wrap;
    }
    var required = s.required || [];
    var tbody = el("tbody");
    Object.keys(props).forEach(function (name) {
      var p = props[name];
      var desc = p.description || (p.allOf ? "" : (deref(p) || {}).description) || "";
      tbody.appendChild(el("tr", null,
        el("td", null, el("code", { text: name }), required.indexOf(name) >= 0 ? el("span", { "class": "req", text: " required" }) : null),
        el("td", null, typeLabel(p)),
        el("td", null, inline(desc))));
    });
    wrap.appendChild(el("table", null,
      el("thead", null, el("tr", null, el("th", { text: "Field" }), el("th", { text: "Type" }), el("th", { text: "Description" }))),
      tbody));
    return wrap;
  }

  function example(value) {
    return el("pre", { text: JSON.stringify(value, null, 2) });
  }

  function contentView(content) {
    var frag = document.createDocumentFragment();
    Object.keys(content || {}).forEach(function (type) {
      var media = content[type];
      frag.appendChild(el("p", { "class": "muted" }, el("code", { text: type })));
      frag.appendChild(schemaView(media.schema));
      if (media.example !== undefined) {
        frag.appendChild(el("p", { "class": "muted", text: "Example" }));
        frag.appendChild(example(media.example));
      }
    });
    return frag;
  }

  function parametersView(params) {
    if (!params.length) return null;
    var tbody = el("tbody");
    params.forEach(function (p) {
      p = deref(p);
      tbody.appendChild(el("tr", null,
        el("td", null, el("code", { text: p.name }), p.required ? el("span", { "class": "req", text: " required" }) : null),
        el("td", { text: p["in"] }),
        el("td", null, typeLabel(p.schema)),
        el("td", null, inline(p.description))));
    });
    return el("div", null, el("h4", { text: "Parameters" }), el("table", null,
      el("thead", null, el("tr", null, el("th", { text: "Name" }), el("th", { text: "In" }), el("th", { text: "Type" }), el("th", { text: "Description" }))),
      tbody));
  }

  function responsesView(responses) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h4", { text: "Responses" }));
    Object.keys(responses).forEach(function (code) {
      var ref = responses[code].$ref;
      var r = deref(responses[code]);
      var head = el("p", null, el("span", { "class": "status s" + code.charAt(0), text: code }), " ", inline(r.description));
      if (ref) head.appendChild(el("span", { "class": "muted", text: " (" + refName(ref) + ")" }));
      frag.appendChild(head);
      if (r.headers) Object.keys(r.headers).forEach(function (h) {
        frag.appendChild(el("p", { "class": "nested muted" }, "Header ", el("code", { text: h }), ": " + (r.headers[h].description || "")));
      });
      if (r.content) frag.appendChild(el("div", { "class": "nested" }, contentView(r.content)));
    });
    return frag;
  }

  function websocketView(ws) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h4", { text: "WebSocket messages" }));
    frag.appendChild(el("p", null, "Protocol ", el("code", { text: ws.protocol || "" }), ", " + (ws.frames || "") + " frames."));
    var tbody = el("tbody");
    (ws.messages || []).forEach(function (m) {
      var kind = m.messageType !== undefined
        ? "type " + m.messageType + (m.subType !== undefined ? ", sub-type " + m.subType : "")
        : "";
      var detail = el("td", null, prose(m.description));
      if (m.layout) detail.appendChild(el("pre", { text: m.layout }));
      if (m.schema) detail.appendChild(schemaView(m.schema, 1));
      if (m.example !== undefined) detail.appendChild(example(m.example));
      tbody.appendChild(el("tr", null,
        el("td", null, el("strong", { text: m.name }), kind ? el("div", { "class": "muted", text: kind }) : null),
        el("td", { text: m.direction || "" }),
        detail));
    });
    frag.appendChild(el("table", null,
      el("thead", null, el("tr", null, el("th", { text: "Message" }), el("th", { text: "Direction" }), el("th", { text: "Details" }))),
      tbody));
    if (ws.closeCodes && ws.closeCodes.length) {
      var cb = el("tbody");
      ws.closeCodes.forEach(function (c) {
        cb.appendChild(el("tr", null, el("td", null, el("code", { text: String(c.code) })), el("td", null, inline(c.meaning))));
      });
      frag.appendChild(el("h4", { text: "Close codes" }));
      frag.appendChild(el("table", null,
        el("thead", null, el("tr", null, el("th", { text: "Code" }), el("th", { text: "Meaning" }))), cb));
    }
    return frag;
  }

  function operationView(path, method, op, pathItem) {
    var ws = op["x-websocket"];
    var id = "op-" + (op.operationId || method + path.replace(/[^A-Za-z0-9]+/g, "-"));
    var sec = el("section", { "class": "op", id: id });
    sec.appendChild(el("div", { "class": "op-head" },
      el("span", { "class": "method m-" + (ws ? "ws" : method), text: ws ? "ws" : method }),
      el("span", { "class": "path", text: path }),
      el("h3", { text: op.summary || "" })));
    sec.appendChild(prose(op.description));
    var params = (pathItem.parameters || []).concat(op.parameters || []);
    var pv = parametersView(params);
    if (pv) sec.appendChild(pv);
    if (op.requestBody) {
      var body = deref(op.requestBody);
      sec.appendChild(el("h4", { text: "Request body" + (body.required ? "" : " (optional)") }));
      if (body.description) sec.appendChild(prose(body.description));
      sec.appendChild(contentView(body.content));
    }
    if (ws) sec.appendChild(websocketView(ws));
    sec.appendChild(responsesView(op.responses || {}));
    return { node: sec, id: id, label: (ws ? "WS " : method.toUpperCase() + " ") + path };
  }

  function render() {
    var content = document.getElementById("content");
    content.textContent = "";
    document.title = doc.info.title + " API";
    document.getElementById("title").textContent = doc.info.title + " API";
    document.getElementById("version").textContent = "Version " + doc.info.version + " · OpenAPI " + doc.openapi;
    content.appendChild(prose(doc.info.description));

    var toc = el("ul");
    var methods = ["get", "post", "put", "patch", "delete", "options", "head"];
    content.appendChild(el("h2", { text: "Routes" }));
    Object.keys(doc.paths).forEach(function (path) {
      var item = doc.paths[path];
      methods.forEach(function (m) {
        if (!item[m]) return;
        var v = operationView(path, m, item[m], item);
        content.appendChild(v.node);
        toc.appendChild(el("li", null, el("a", { href: "#" + v.id, text: v.label })));
      });
    });

    var schemas = (doc.components && doc.components.schemas) || {};
    content.appendChild(el("h2", { id: "schemas", text: "Schemas" }));
    Object.keys(schemas).forEach(function (name) {
      var sec = el("section", { "class": "op", id: "schema-" + name }, el("h3", { text: name }));
      sec.appendChild(schemaView(schemas[name]));
      content.appendChild(sec);
    });
    toc.appendChild(el("li", null, el("a", { href: "#schemas", text: "Schemas" })));
    document.getElementById("toc").appendChild(toc);
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  fetch("/openapi.json", { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("GET /openapi.json: HTTP " + r.status);
      return r.json();
    })
    .then(function (d) { doc = d; render(); })
    .catch(function (err) {
      var status = document.getElementById("status") || document.getElementById("content");
      status.textContent = "Could not load the API description: " + err.message;
    });
})();
