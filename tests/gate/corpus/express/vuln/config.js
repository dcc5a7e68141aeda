module.exports = {
  port: process.env.PORT || 3000,
  cookieSecret: 'kitten-keyboard-42', // VULN: hardcoded-secret
};
