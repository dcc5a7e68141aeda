'use strict';

async function adminPlugin(fastify) {
  fastify.addHook('onRequest', fastify.authenticate);
  fastify.get('/health', { preHandler: [fastify.requireAdmin] }, async () => ({ ok: true }));
}

module.exports = adminPlugin;
