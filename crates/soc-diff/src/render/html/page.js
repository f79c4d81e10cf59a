(() => {
  "use strict";
  // Zoom: each canvas fits its column until a button says otherwise.
  const natural = (svg) => parseFloat(svg.getAttribute("width")) || svg.viewBox.baseVal.width || 1;
  const zoomTo = (figure, scale) => {
    const svg = figure.querySelector("svg.diagram");
    const shown = figure.querySelector("output");
    if (!svg) return;
    if (scale === null) {
      svg.style.width = "";
      svg.style.maxWidth = "";
      delete figure.dataset.scale;
      if (shown) shown.textContent = "fit";
      return;
    }
    const bounded = Math.min(8, Math.max(0.05, scale));
    svg.style.width = natural(svg) * bounded + "px";
    svg.style.maxWidth = "none";
    figure.dataset.scale = String(bounded);
    if (shown) shown.textContent = Math.round(bounded * 100) + "%";
  };
  const scaleOf = (figure) => {
    const svg = figure.querySelector("svg.diagram");
    if (figure.dataset.scale) return parseFloat(figure.dataset.scale);
    return svg ? svg.getBoundingClientRect().width / natural(svg) : 1;
  };
  // Names must stay readable: a diagram that fitting would shrink below half size starts at
  // three quarters, scrolled to its first change ("fit" still shows it whole).
  const LEGIBLE = 0.5;
  const START = 0.75;
  for (const figure of document.querySelectorAll("figure.canvas")) {
    const svg = figure.querySelector("svg.diagram");
    const viewport = figure.querySelector(".viewport");
    if (svg && viewport && viewport.clientWidth / natural(svg) < LEGIBLE) {
      zoomTo(figure, START);
      const first = svg.querySelector("[data-change], [data-moved]");
      if (first) {
        const box = first.getBoundingClientRect();
        const frame = viewport.getBoundingClientRect();
        viewport.scrollLeft += box.left - frame.left - (frame.width - box.width) / 2;
        viewport.scrollTop += box.top - frame.top - (frame.height - box.height) / 2;
      }
    }
    for (const button of figure.querySelectorAll("button[data-zoom]")) {
      button.addEventListener("click", () => {
        const how = button.dataset.zoom;
        if (how === "fit") zoomTo(figure, null);
        else if (how === "actual") zoomTo(figure, 1);
        else zoomTo(figure, scaleOf(figure) * (how === "in" ? 1.25 : 0.8));
      });
    }
  }
  // A change's link lights up its node or flow on every canvas that draws it.
  for (const link of document.querySelectorAll("a[data-targets]")) {
    link.addEventListener("click", (event) => {
      const targets = link.dataset.targets.split(" ")
        .map((id) => document.getElementById(id))
        .filter((element) => element !== null);
      if (targets.length === 0) return;
      event.preventDefault();
      for (const target of targets) {
        target.classList.add("focus");
        setTimeout(() => target.classList.remove("focus"), 2500);
      }
      targets[0].scrollIntoView({ block: "center", inline: "center", behavior: "smooth" });
    });
  }
})();
