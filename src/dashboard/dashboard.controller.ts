import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../common/herald-error.js';
import { DashboardAssets, type DashboardAsset } from './dashboard-assets.js';

/**
 * Everything from this origin and nothing inline: the page's scripts and styles are files, Chart.js draws on
 * canvases, and the only requests it makes are to Herald's own report API.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /dashboard (API §8): a static page that reads the public report API with the key the user pastes.
 * No guard here: the page holds no data; every figure comes from /v1/reports/* under the user's own key.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Frame-Options', 'DENY')
  async page(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return send(request, reply, await this.assets.page());
  }

  @Get('assets/:name')
  async asset(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const asset = await this.assets.asset(name);
    if (!asset) throw HeraldError.notFound('Dashboard asset');
    return send(request, reply, asset);
  }
}

/** Revalidated on every load (ETag), so a new release of the page is never mixed with a cached older script. */
function send(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset): Buffer | string {
  void reply
    .header('Content-Type', asset.contentType)
    .header('Cache-Control', 'no-cache')
    .header('ETag', asset.etag)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer');
  if (request.headers['if-none-match'] === asset.etag) {
    void reply.status(304);
    return '';
  }
  return asset.body;
}
