// The timeline preview: an entry's HTML mail is built when the entry is opened. A daily
// programme has some 600 entries, and a frame for each at once holds the page for half a minute.
document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    for (const frame of details.querySelectorAll("iframe[data-srcdoc]")) {
      frame.srcdoc = frame.dataset.srcdoc;
      frame.removeAttribute("data-srcdoc");
    }
  },
  true, // toggle does not bubble: listen while it goes down
);
