// The root CID of a folder by a second UnixFS importer, js-ipfs-unixfs
// (ipfs-unixfs-importer), for tests/it/ipfs.rs to compare with Spore's.
// Usage: node cid.mjs DIR PROFILE, PROFILE `kubo-v1` (kubo's `ipfs add -r
// --cid-version=1 --raw-leaves`: 256 KiB chunks, 174 links, HAMT past
// 256 KiB of names and CIDs) or `unixfs-v1-2025` (IPIP-499).
// Names starting with "." are left out, as kubo does without --hidden.
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createReadStream, readdirSync } from 'node:fs'
import { join } from 'node:path'

const [dir, profile] = process.argv.slice(2)
const options = profile === 'unixfs-v1-2025'
  ? { profile: 'unixfs-v1-2025' }
  : {
      cidVersion: 1,
      rawLeaves: true,
      chunker: fixedSize({ chunkSize: 262144 }),
      layout: balanced({ maxChildrenPerNode: 174 }),
      shardSplitStrategy: 'links-bytes',
      shardSplitThresholdBytes: 262144,
      shardFanoutBits: 8,
      wrapWithDirectory: false
    }

function * walk (disk, path) {
  const entries = readdirSync(disk, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
  for (const e of entries) {
    const d = join(disk, e.name)
    const p = `${path}/${e.name}`
    if (e.isDirectory()) {
      yield { path: p }
      yield * walk(d, p)
    } else if (e.isFile()) {
      yield { path: p, content: createReadStream(d) }
    } else {
      throw new Error(`${d}: neither a file nor a folder`)
    }
  }
}

function * source () {
  yield { path: 'root' }
  yield * walk(dir, 'root')
}

let root
for await (const entry of importer(source(), new MemoryBlockstore(), options)) {
  if (entry.path === 'root') root = entry.cid
}
if (root === undefined) throw new Error('no root')
console.log(root.toString())
