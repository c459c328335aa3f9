// The periodic task form: show the chosen crontab in words under the field (from
// django-celery-beat's inline script, which the Content-Security-Policy blocks).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.hidden = true;
  if (!data || !select || !help) return;
  const readable = JSON.parse(data.textContent);
  const original = help.textContent;
  select.addEventListener("change", () => {
    const words = readable[select.value];
    help.textContent = words ? `${original}（${words}）` : original;
  });
});
