import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/**
 * Swagger UI's page as the security team uses it (issue 15). The page's CSP allows only files
 * from the API itself ('self', no inline code or style: app.factory.ts), so what Nest's page
 * template says inline is refused: its <style> and the style attribute that hides the icon
 * sprite (an <svg> that then takes its default 300 x 150 px: a blank band above the page).
 * These two files, served beside Swagger UI's own, say it again from 'self', and make the page
 * pass axe: contrast of the method badges and buttons, the title block in a landmark, headings
 * one level below the title (Swagger UI goes from its h1 to h3). Swagger UI's React code stays as it is; the script only adds attributes.
 */
export const WORKBENCH_STYLESHEET = 'workbench.css';
export const WORKBENCH_SCRIPT = 'workbench.js';

/** Colours with at least 4.5:1 against their text (WCAG 2.2 1.4.3), Swagger UI's hues darkened. */
const METHOD_COLOURS: Record<string, string> = { get: '#1d63a8', post: '#17774a', put: '#9a5300', patch: '#177a6a', delete: '#b42318', head: '#7a3fb0', options: '#1d4f8c' };

export const WORKBENCH_CSS = `
html { box-sizing: border-box; overflow-y: scroll; }
*, *::before, *::after { box-sizing: inherit; }
body { margin: 0; background: #fafafa; }
/* The icon sprite, whose inline style attribute the CSP refuses. */
body > svg:first-of-type { position: absolute; width: 0; height: 0; overflow: hidden; }
${Object.entries(METHOD_COLOURS)
  .map(([method, colour]) => `.swagger-ui .opblock.opblock-${method} .opblock-summary-method { background: ${colour}; color: #fff; }`)
  .join('\n')}
.swagger-ui .info .title small.version-stamp { background: #3d6b00; }
.swagger-ui .info .title small.version-stamp pre { color: #fff; }
.swagger-ui .info .title small { background: #5f6368; }
.swagger-ui .info .title small pre { color: #fff; }
.swagger-ui .btn.authorize { color: #17774a; border-color: #17774a; }
.swagger-ui .btn.authorize svg { fill: #17774a; }
.swagger-ui .btn.authorize span { color: #17774a; }
.swagger-ui .btn.cancel { color: #b42318; border-color: #b42318; }
.swagger-ui .btn.execute { background-color: #1d63a8; border-color: #1d63a8; color: #fff; }
.swagger-ui .download-contents { background: #3b4151; color: #fff; }
/* The highlighter colours its tokens with style properties; one of them is too dark on its dark ground. */
.swagger-ui .microlight span { color: #f5f5f5 !important; }
`;

/**
 * Runs in the page (not type-checked: the backend has no DOM types; the browser suite
 * swagger.spec.ts checks what it does). Swagger UI re-renders, so the attributes are set again
 * whenever its tree changes.
 */
export const WORKBENCH_JS = `(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  if (!root) return;
  function mend() {
    var about = root.querySelector('.information-container');
    if (about && !about.hasAttribute('role')) {
      about.setAttribute('role', 'region');
      about.setAttribute('aria-label', 'About this API');
    }
    // The examples of an answer (one per error code) are chosen from an unlabelled list.
    root.querySelectorAll('select.examples-select-element:not([aria-label])').forEach(function (select) {
      select.setAttribute('aria-label', 'Example');
    });
    // A box that scrolls must take the keyboard's focus to be scrolled without a mouse.
    root.querySelectorAll('.curl, .microlight').forEach(function (box) {
      if (!box.hasAttribute('tabindex')) box.setAttribute('tabindex', '0');
    });
    root.querySelectorAll('h3, h4, h5, h6').forEach(function (heading) {
      if (heading.hasAttribute('aria-level') || heading.closest('.dialog-ux')) return;
      heading.setAttribute('aria-level', String(Number(heading.tagName.slice(1)) - 1));
    });
  }
  mend();
  new MutationObserver(mend).observe(root, { childList: true, subtree: true });
})();
`;

/** Serves the two files at /api/docs/workbench.css and /api/docs/workbench.js. */
export function serveWorkbenchAssets(app: NestFastifyApplication, swaggerPath: string): void {
  const adapter = app.getHttpAdapter();
  adapter.get(`/${swaggerPath}/${WORKBENCH_STYLESHEET}`, (_request: unknown, reply: FastifyReply) => reply.type('text/css; charset=utf-8').send(WORKBENCH_CSS));
  adapter.get(`/${swaggerPath}/${WORKBENCH_SCRIPT}`, (_request: unknown, reply: FastifyReply) => reply.type('text/javascript; charset=utf-8').send(WORKBENCH_JS));
}
