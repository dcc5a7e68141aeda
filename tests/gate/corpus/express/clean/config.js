module.exports = {
  port: process.env.PORT || 3000,
  cookieSecret: process.env.COOKIE_SECRET,
};
