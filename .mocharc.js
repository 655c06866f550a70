'use strict';
// `npm test` and the matrix run every test file; `mocha path/to/one.test.js`
// runs just that file (mocha would otherwise add the spec below to it).
const namesFiles = process.argv.slice(2).some((arg) => /\.test\.m?js$/.test(arg) || arg.includes('*'));

module.exports = {
  ...(namesFiles ? {} : { spec: ['test/**/*.test.js'] }),
  timeout: 30000,
  exit: true,
};
