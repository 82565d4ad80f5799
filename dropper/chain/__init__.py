"""Deploy and read the drop's ERC-721 contract with web3.py.

``dropper.chain.drop`` holds the deployment API; ``dropper.chain.artifacts`` reads the compiled
contracts committed in ``contracts/artifacts/``. Import web3 lazily: only these modules need it.
"""
