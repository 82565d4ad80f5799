// A bare Hardhat network for dropper's JSON-RPC publish tests (tests/test_publish_rpc.py).
// The node mines each transaction at once; the chain id is set so a test can check it.
module.exports = {
  networks: {
    hardhat: { chainId: 31337 },
  },
};
