// The chatbot's conversation on the chat page and in the widget's dialog on other pages.
// Without this script the chat page's form posts to the page itself and the widget's
// launcher is a link to that page. With it, questions go to POST /api/v1/chat and question
// and reply are appended to the log (role="log", read out by screen readers), without
// leaving the page. Every text from the API is set with textContent: it stays text.
// The markup mirrors templates/chat/_reply.html and the rules of reply_display.py.
(function () {
  "use strict";

  const LIST_ITEM = "– ";
  const OFFERED = 3;

  function safeUrl(url) {
    return typeof url === "string" &&
      (/^\/(?![\/\\])/.test(url) || /^https?:\/\//.test(url));
  }

  function objects(value) {
    return Array.isArray(value) ? value.filter(function (v) { return v && typeof v === "object"; }) : [];
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setUpConversation(root) {
    const log = root.querySelector("[data-chatbot-log]");
    const status = root.querySelector("[data-chatbot-status]");
    const form = root.querySelector("[data-chatbot-form]");
    const input = root.querySelector("[data-chatbot-input]");
    const errorBox = root.querySelector("[data-chatbot-error]");
    const enterHint = root.querySelector("[data-chatbot-enter-hint]");
    const texts = {};
    root.querySelector("template[data-chatbot-texts]").content
      .querySelectorAll("[data-text]")
      .forEach(function (node) { texts[node.dataset.text] = node.textContent.trim(); });
    const errorId = input.id + "-fehler";
    const pageLanguage = document.documentElement.lang === "en" ? "en" : "de";
    let waiting = false;

    enterHint.hidden = false;
    describe(enterHint.id, true);

    function describe(id, on) {
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
        .filter(function (other) { return other !== id; });
      if (on) ids.push(id);
      input.setAttribute("aria-describedby", ids.join(" "));
    }

    function showError(message) {
      errorBox.replaceChildren();
      const error = element("p", "kern-error");
      error.id = errorId;
      const icon = element("span", "kern-icon kern-icon--danger kern-icon--small");
      icon.setAttribute("aria-hidden", "true");
      error.append(icon, element("span", "kern-body", message));
      errorBox.append(error);
      input.classList.add("kern-form-input__input--error");
      input.setAttribute("aria-invalid", "true");
      describe(errorId, true);
    }

    function clearError() {
      errorBox.replaceChildren();
      input.classList.remove("kern-form-input__input--error");
      input.removeAttribute("aria-invalid");
      describe(errorId, false);
    }

    function message(role) {
      const node = element("div", "chatbot-message chatbot-message--" + role);
      node.append(element("p", "chatbot-message__who", role === "user" ? texts.you : texts.bot));
      return node;
    }

    function question(text) {
      const node = message("user");
      const body = element("p", "chatbot-message__text", text);
      body.dir = "auto";
      node.append(body);
      return node;
    }

    function reply(data) {
      const node = message("bot");
      const lang = typeof data.lang === "string" ? data.lang : pageLanguage;
      if (data.note) {
        const note = element("p", "chatbot-message__note", data.note);
        note.dir = "auto";
        if (data.note_lang) note.lang = data.note_lang;
        node.append(note);
      }
      const answer = element("div", "chatbot-message__answer");
      answer.lang = lang;
      String(data.answer).split("\n\n").forEach(function (paragraph) {
        if (!paragraph.trim()) return;
        const lines = paragraph.split("\n");
        const text = lines.filter(function (line) { return !line.startsWith(LIST_ITEM); });
        const items = lines.filter(function (line) { return line.startsWith(LIST_ITEM); });
        if (text.length) answer.append(element("p", "", text.join("\n")));
        if (items.length) {
          const list = element("ul", "kern-list kern-list--bullet");
          items.forEach(function (item) {
            list.append(element("li", "", item.slice(LIST_ITEM.length)));
          });
          answer.append(list);
        }
      });
      node.append(answer);

      const actions = objects(data.actions).filter(function (a) { return safeUrl(a.url); });
      const actionUrls = actions.map(function (a) { return a.url; });
      let services = objects(data.services).filter(function (s) { return safeUrl(s.url); });
      services = data.confident
        ? services.filter(function (s) {
          return String(data.answer).includes(s.name) && !actionUrls.includes(s.url);
        })
        : services.slice(0, OFFERED);
      if (services.length) {
        node.append(element("p", "chatbot-message__offer",
          data.confident ? texts.offer_sure : texts.offer_unsure));
        const list = element("ul", "kern-list kern-list--bullet chatbot-message__services");
        list.lang = lang;
        services.forEach(function (service) {
          const link = element("a", "kern-link", service.name);
          link.href = service.url;
          const item = element("li");
          item.append(link);
          list.append(item);
        });
        node.append(list);
      }
      if (actions.length) {
        const bar = element("div", "chatbot-message__actions");
        bar.lang = lang;
        actions.forEach(function (action, index) {
          const button = element("a",
            "kern-btn kern-btn--" + (index === 0 ? "primary" : "secondary"));
          button.href = action.url;
          button.append(element("span", "kern-label", action.label));
          if (action.kind === "external" || !/^\/(?![\/\\])/.test(action.url)) {
            button.rel = "noopener external";
            const icon = element("span", "kern-icon kern-icon--open-in-new");
            icon.setAttribute("aria-hidden", "true");
            const hint = element("span", "visually-hidden", " (" + texts.external + ")");
            hint.lang = pageLanguage;
            button.append(icon, hint);
          }
          bar.append(button);
        });
        node.append(bar);
      }
      return node;
    }

    function finish() {
      waiting = false;
      status.textContent = "";
      status.classList.remove("chatbot-status--busy");
    }

    function send(text) {
      waiting = true;
      status.textContent = texts.searching;
      status.classList.add("chatbot-status--busy");
      return fetch(root.dataset.chatbotApi, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ message: text, lang: pageLanguage }),
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && data && typeof data.answer === "string") return data;
          throw new Error((data && typeof data.detail === "string" && data.detail) || texts.failed);
        });
      }, function () {
        throw new Error(texts.failed);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (waiting) return;
      const text = input.value;
      if (!text.trim()) {
        showError(texts.empty);
        input.focus();
        return;
      }
      clearError();
      const asked = question(text.trim());
      function failed(message) {
        finish();
        showError(message); // the question stays in the field
        afterSending(null);
      }
      send(text).then(function (data) {
        let shown;
        try {
          shown = reply(data);
        } catch (error) {
          failed(texts.failed); // an answer this script cannot read
          return;
        }
        finish();
        log.append(asked, shown);
        input.value = "";
        afterSending(asked);
      }, function (error) {
        failed(error.message);
      });
    });

    // Back into the field after sending, unless the citizen has moved on meanwhile.
    function afterSending(shown) {
      const active = document.activeElement;
      if (!active || active === document.body || form.contains(active)) {
        input.focus({ preventScroll: Boolean(shown) });
      }
      if (shown) shown.scrollIntoView({ block: "start" });
    }

    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      form.requestSubmit();
    });

    return { input: input };
  }

  function setUpWidget(widget) {
    const link = widget.querySelector("[data-chatbot-link]");
    const opener = widget.querySelector("[data-chatbot-open]");
    const dialog = widget.querySelector("[data-chatbot-dialog]");
    if (typeof dialog.showModal !== "function") return; // the link to the chat page stays
    const conversation = setUpConversation(dialog.querySelector("[data-chatbot]"));
    link.hidden = true;
    opener.hidden = false;

    opener.addEventListener("click", function () {
      dialog.showModal();
      conversation.input.focus();
    });
    dialog.querySelector("[data-chatbot-close]").addEventListener("click", function () {
      dialog.close();
    });
    // A click on the dimmed page around the dialog closes it, too.
    dialog.addEventListener("click", function (event) {
      if (event.target !== dialog) return;
      const box = dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) dialog.close();
    });
    dialog.addEventListener("close", function () {
      opener.focus();
    });
  }

  document.querySelectorAll("[data-chatbot]").forEach(function (root) {
    if (!root.closest("[data-chatbot-dialog]")) setUpConversation(root);
  });
  document.querySelectorAll("[data-chatbot-widget]").forEach(setUpWidget);
})();
