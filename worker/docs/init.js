// The API reference: Swagger UI (npm swagger-ui-dist, bundled, no CDN) over the Worker's
// own generated document. "Authorize" takes the admin token (kept for the tab's session);
// "Try it out" calls this Worker.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#api',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  validatorUrl: null,
});
