import { Router } from 'express';
import { renderReferencePage } from './api-docs.page.js';
import { buildOpenApiDocument } from './openapi.js';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/**
 * The API's description and its reference page. Built once at start; readable without a token
 * (it holds no data, only the shape of the routes), so tools can fetch it.
 */
export function apiDocsRoutes(options: { allowLoopbackCallbacks: boolean }): Router {
  const document = buildOpenApiDocument(options);
  const page = renderReferencePage(document);
  const router = Router();
  router.get(OPENAPI_PATH, (_req, res) => void res.json(document));
  router.get(DOCS_PATH, (_req, res) => void res.type('html').send(page));
  return router;
}
