'use strict';
const fastify = require('fastify')({ logger: true });
const jwt = require('@fastify/jwt');
const adminPlugin = require('./admin');
const reports = require('./reports');

fastify.register(jwt, { secret: process.env.JWT_SECRET });
fastify.decorate('authenticate', async (request, reply) => {
  await request.jwtVerify();
});

fastify.register(adminPlugin, { prefix: '/admin' });
fastify.register(reports, { prefix: '/reports' });

fastify.get('/go', async (request, reply) => {
  return reply.redirect(request.query.next); // VULN: open-redirect
});

fastify.listen({ port: 3000 });
