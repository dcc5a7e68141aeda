'use strict';
const fs = require('fs/promises');
const path = require('path');

async function reports(fastify) {
  fastify.addHook('onRequest', fastify.authenticate);

  fastify.get('/:name', async (request) => {
    return fs.readFile(path.join('/srv/reports', request.params.name), 'utf8'); // VULN: path-traversal
  });
}

module.exports = reports;
