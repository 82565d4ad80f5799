// An independent UnixFS importer and CAR reader (js-ipfs-unixfs, @ipld/car) for dropper's
// tests: same files in, CIDs out as JSON, so the tests can compare them with dropper.ipfs.
//
//   node reference.mjs tree FOLDER [PROFILE] [--hidden]  -> {root, entries, blocks}
//   node reference.mjs car FILE.car                      -> {roots, blocks}; exit 1 on a bad block
//
// PROFILE: kubo-cidv1 (default; `ipfs add --cid-version=1`), unixfs-v0-2015, unixfs-v1-2025.
// Like `ipfs add -r`: names starting with "." are skipped unless --hidden, symlinks are
// stored as symlinks, the folder itself is the root.
import { createReadStream, readdirSync, readlinkSync, openSync } from 'node:fs'
import { basename, join } from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CarBlockIterator } from '@ipld/car/iterator'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'multiformats/bytes'
import * as dagPb from '@ipld/dag-pb'

const PROFILES = {
  // kubo's defaults with --cid-version=1 (which turns raw leaves on)
  'kubo-cidv1': {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: 262144 }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    shardSplitThresholdBytes: 262144,
    shardSplitStrategy: 'links-bytes',
    shardFanoutBits: 8,
    wrapWithDirectory: false
  },
  'unixfs-v0-2015': { profile: 'unixfs-v0-2015', wrapWithDirectory: false },
  'unixfs-v1-2025': { profile: 'unixfs-v1-2025', wrapWithDirectory: false }
}

function * walk (folder, prefix, hidden) {
  for (const item of readdirSync(folder, { withFileTypes: true })) {
    if (item.name.startsWith('.') && !hidden) continue
    const full = join(folder, item.name)
    const path = `${prefix}/${item.name}`
    if (item.isSymbolicLink()) {
      yield { path, link: readlinkSync(full) }
    } else if (item.isDirectory()) {
      yield { path }
      yield * walk(full, path, hidden)
    } else {
      yield { path, content: createReadStream(full) }
    }
  }
}

async function tree (folder, profileName = 'kubo-cidv1', hidden = false) {
  const options = PROFILES[profileName]
  if (options == null) throw new Error(`unknown profile ${profileName}`)
  const stored = new Map()
  const blockstore = {
    async put (cid, bytes) { stored.set(cid.toString(), { cid, bytes }); return cid },
    async has (cid) { return stored.has(cid.toString()) }
  }
  const top = basename(folder)
  const source = [{ path: top }, ...walk(folder, top, hidden)]
  const entries = {}
  let root = null
  for await (const entry of importer(source, blockstore, options)) {
    if (entry.path === top) root = entry.cid.toString()
    else entries[entry.path.slice(top.length + 1)] = entry.cid.toString()
  }
  return { root, entries, blocks: [...reachable(root, stored)].sort() }
}

// The importer also stores placeholder nodes (an empty directory per folder it is given);
// only the blocks the root reaches make up the DAG.
function reachable (root, stored) {
  const seen = new Set()
  const pending = [root]
  while (pending.length > 0) {
    const key = pending.pop()
    if (seen.has(key)) continue
    seen.add(key)
    const { cid, bytes } = stored.get(key)
    if (cid.code !== dagPb.code) continue
    for (const link of dagPb.decode(bytes).Links) pending.push(link.Hash.toString())
  }
  return seen
}

async function car (file) {
  const iterator = await CarBlockIterator.fromIterable(createReadStream(file, { fd: openSync(file, 'r') }))
  const roots = (await iterator.getRoots()).map(String)
  const blocks = []
  for await (const { cid, bytes } of iterator) {
    if (cid.multihash.code !== sha256.code) throw new Error(`${cid}: not sha2-256`)
    const digest = await sha256.digest(bytes)
    if (!equals(digest.digest, cid.multihash.digest)) {
      console.error(`block ${cid} does not match its bytes`)
      process.exit(1)
    }
    blocks.push(cid.toString())
  }
  return { roots, blocks: blocks.sort() }
}

const [command, target, ...rest] = process.argv.slice(2)
const flags = rest.filter(arg => arg.startsWith('--'))
const args = rest.filter(arg => !arg.startsWith('--'))
let result
if (command === 'tree') result = await tree(target, args[0], flags.includes('--hidden'))
else if (command === 'car') result = await car(target)
else throw new Error('usage: node reference.mjs tree FOLDER [PROFILE] [--hidden] | car FILE.car')
process.stdout.write(JSON.stringify(result) + '\n')
