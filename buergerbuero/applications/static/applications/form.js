// Application forms: show and hide conditional fields as the citizen answers, and save
// what was typed in the background. Both are enhancements: without JavaScript the
// server decides visibility on "Weiter" and every button saves.
(function () {
  "use strict";
  // After "Weiter" with mistakes, the error summary takes the focus: a screen reader
  // reads it first, and its links lead to each field.
  const summary = document.getElementById("fehler");
  if (summary) summary.focus();

  const form = document.querySelector("form[data-autosave]");
  if (!form) return;

  function inputsOf(key) {
    return Array.from(form.elements).filter((el) => el.name === key);
  }

  function valueOf(key) {
    const inputs = inputsOf(key);
    if (!inputs.length) return undefined; // answered on an earlier step
    const first = inputs[0];
    if (first.type === "radio") {
      const checked = inputs.find((el) => el.checked);
      if (!checked) return null;
      if (checked.value === "ja") return true;
      if (checked.value === "nein") return false;
      return checked.value;
    }
    if (first.type === "checkbox") return inputs.filter((el) => el.checked).map((el) => el.value);
    return first.value === "" ? null : first.value.replace(",", ".");
  }

  function filled(value) {
    return !(value === null || value === "" || value === false || (Array.isArray(value) && !value.length));
  }

  function same(value, expected) {
    return Array.isArray(value) ? value.includes(expected) : value === expected;
  }

  // Mirrors Condition.holds in definition.py; undefined means "cannot tell here".
  function holds(c) {
    if (c.all) { const r = c.all.map(holds); return r.includes(undefined) ? undefined : r.every(Boolean); }
    if (c.any) { const r = c.any.map(holds); return r.includes(undefined) ? undefined : r.some(Boolean); }
    if (c.not) { const r = holds(c.not); return r === undefined ? undefined : !r; }
    const value = valueOf(c.field);
    if (value === undefined) return undefined;
    const checks = [];
    if ("equals" in c) checks.push(same(value, c.equals));
    if ("not_equals" in c) checks.push(!same(value, c.not_equals));
    if ("in" in c) checks.push(c.in.some((option) => same(value, option)));
    const number = value === null ? NaN : Number(value);
    if ("gt" in c) checks.push(number > Number(c.gt));
    if ("gte" in c) checks.push(number >= Number(c.gte));
    if ("lt" in c) checks.push(number < Number(c.lt));
    if ("lte" in c) checks.push(number <= Number(c.lte));
    if ("filled" in c) checks.push(filled(value) === c.filled);
    return checks.length ? checks.every(Boolean) : filled(value);
  }

  function update() {
    form.querySelectorAll("[data-show-if]").forEach((wrapper) => {
      const visible = holds(JSON.parse(wrapper.dataset.showIf));
      if (visible !== undefined) wrapper.hidden = !visible;
    });
  }

  let timer = null;
  function autosave() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const data = new FormData(form);
      Array.from(form.querySelectorAll("input[type=file]")).forEach((el) => data.delete(el.name));
      data.set("action", "autosave");
      fetch(window.location.href, { method: "POST", body: data, credentials: "same-origin" }).catch(() => {});
    }, 1500);
  }

  form.addEventListener("change", (event) => {
    update();
    if (event.target.type !== "file") autosave();
  });
  form.addEventListener("input", autosave);
  update();
})();
