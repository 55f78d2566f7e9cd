#!/usr/bin/env node
'use strict';
// Thin launcher so the bin exists before the TypeScript build (npm links bins at install time).
require('../dist/main.js').main(process.argv).then((code) => {
  process.exitCode = code;
});
