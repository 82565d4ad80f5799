#!/usr/bin/env node
// Compile the drop's contracts with the pinned npm solc and write one artifact JSON per
// contract into artifacts/ (or --out DIR). The output is deterministic so that a test can
// recompile and compare it byte for byte with the committed artifacts.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const HERE = __dirname;
const ARGS = process.argv.slice(2);

function option(name, fallback) {
  const index = ARGS.indexOf(name);
  return index >= 0 ? path.resolve(ARGS[index + 1]) : fallback;
}

// --modules DIR: a node_modules folder installed elsewhere (the tests use a cache folder).
const MODULES = option("--modules", path.join(HERE, "node_modules"));
const solc = require(path.join(MODULES, "solc"));
const CONTRACTS = {
  "DropERC721.sol": "DropERC721",
  "baseline/BaselineERC721.sol": "BaselineERC721",
};
const SETTINGS = {
  evmVersion: "prague",
  viaIR: true,
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function readImport(importPath) {
  const local = path.join(HERE, importPath);
  const vendored = path.join(MODULES, importPath);
  for (const candidate of [local, vendored]) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `not found: ${importPath}` };
}

function sha256(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function compile() {
  const sources = {};
  for (const file of Object.keys(CONTRACTS)) {
    sources[file] = { content: fs.readFileSync(path.join(HERE, file), "utf8") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readImport }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
  if (errors.length) throw new Error(`solc reported ${errors.length} error(s)`);

  const sourceHashes = {};
  for (const file of Object.keys(output.sources).sort()) {
    sourceHashes[file] = sha256(readImport(file).contents);
  }
  const artifacts = {};
  for (const [file, name] of Object.entries(CONTRACTS)) {
    const built = output.contracts[file][name];
    artifacts[name] = {
      contractName: name,
      sourceName: file,
      abi: built.abi,
      bytecode: "0x" + built.evm.bytecode.object,
      deployedBytecode: "0x" + built.evm.deployedBytecode.object,
      compiler: { name: "solc", version: solc.version(), settings: SETTINGS },
      sourceHashes,
    };
  }
  return artifacts;
}

function main() {
  const outDir = option("--out", path.join(HERE, "artifacts"));
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, artifact] of Object.entries(compile())) {
    const target = path.join(outDir, `${name}.json`);
    const temp = `${target}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(artifact, null, 2) + "\n");
    fs.renameSync(temp, target);
    const runtimeBytes = (artifact.deployedBytecode.length - 2) / 2;
    process.stdout.write(`${name}: ${runtimeBytes} runtime bytes -> ${path.relative(process.cwd(), target)}\n`);
  }
}

main();
