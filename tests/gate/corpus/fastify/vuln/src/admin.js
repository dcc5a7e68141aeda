'use strict';

async function adminPlugin(fastify) {
  fastify.get('/health', async () => ({ ok: true })); // VULN: missing-auth
}

module.exports = adminPlugin;
