// Starts the vendored Swagger UI on /docs (no inline script: the page's CSP forbids it).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // the default badge would load an image from validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
