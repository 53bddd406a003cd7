/* CSI Workbench charts.
 *
 * Draws every [data-chart] element as SVG from the Vega-Lite spec in the JSON script element it names
 * (data-chart="ID", written by includes/_chart.html), when the page loads and after every htmx swap.
 *
 * Works under the site's Content-Security-Policy (script-src 'self', style-src 'self'):
 * - Vega expressions are interpreted (ast: true; vega-embed bundles vega-interpreter) instead of being
 *   compiled with Function(), which script-src would refuse;
 * - vega-embed injects no <style> element: no actions menu, defaultStyle off, and no vega-tooltip
 *   (Vega's own tooltip handler shows values through the SVG's title attribute instead).
 *
 * The vendored libraries load on first use from the URLs on this script element's data-vega,
 * data-vega-lite and data-vega-embed attributes, so pages without charts never fetch them; when the
 * page has loaded them already (window.vegaEmbed), those are used.
 *
 * Accessibility: each drawn chart is one image (role="img") named by the spec's title and described by
 * its description; the same figures stay in the data table next to it (a <details> any reader can
 * open), which is opened when a chart cannot be drawn.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var libraries = script
    ? [script.getAttribute("data-vega"), script.getAttribute("data-vega-lite"), script.getAttribute("data-vega-embed")]
    : [];
  var EMBED_OPTIONS = {
    renderer: "svg",
    actions: false,
    defaultStyle: false,
    tooltip: false,
    ast: true
  };
  var loading = null;
  var drawn = new Map(); // element -> vega-embed result, so views of swapped-out charts are finalized

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement("script");
      element.src = src;
      element.async = false;
      element.onload = resolve;
      element.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(element);
    });
  }

  function vegaEmbed() {
    if (window.vegaEmbed) {
      return Promise.resolve(window.vegaEmbed);
    }
    if (!loading) {
      if (libraries.length !== 3 || libraries.indexOf(null) !== -1) {
        return Promise.reject(new Error("charts.js needs data-vega, data-vega-lite and data-vega-embed"));
      }
      loading = libraries
        .reduce(function (previous, src) {
          return previous.then(function () {
            return loadScript(src);
          });
        }, Promise.resolve())
        .then(function () {
          return window.vegaEmbed;
        })
        .catch(function (error) {
          loading = null; // the next swap may try again
          throw error;
        });
    }
    return loading;
  }

  function text(value) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      value = value.text;
    }
    if (Array.isArray(value)) {
      value = value.join(" ");
    }
    return typeof value === "string" ? value : "";
  }

  // Vega marks the container up as a "visualization" labelled by the description alone; one image
  // named by the title reads better, and the table next to it holds the figures.
  function name(element, spec) {
    element.setAttribute("role", "img");
    element.setAttribute("aria-label", text(spec.title) || "Chart");
    element.removeAttribute("aria-roledescription");
    if (text(spec.description)) {
      element.setAttribute("aria-description", text(spec.description));
    } else {
      element.removeAttribute("aria-description");
    }
  }

  function failed(element, error) {
    element.setAttribute("data-chart-state", "failed");
    element.removeAttribute("role");
    element.removeAttribute("aria-label");
    element.removeAttribute("aria-description");
    var block = element.closest(".chart-block");
    var table = block ? block.querySelector("details.chart-data") : null;
    if (table) {
      table.open = true;
    }
    console.error("Chart " + element.id + " could not be drawn:", error);
  }

  function draw(element) {
    if (element.hasAttribute("data-chart-state")) {
      return;
    }
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      failed(element, error);
      return;
    }
    element.setAttribute("data-chart-state", "drawing");
    vegaEmbed()
      .then(function (embed) {
        return embed(element, spec, EMBED_OPTIONS);
      })
      .then(function (result) {
        name(element, spec);
        element.setAttribute("data-chart-state", "drawn");
        drawn.set(element, result);
      })
      .catch(function (error) {
        failed(element, error);
      });
  }

  function drawAll() {
    drawn.forEach(function (result, element) {
      if (!element.isConnected) {
        result.finalize(); // removes the view's window listeners (resize) and timers
        drawn.delete(element);
      }
    });
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
