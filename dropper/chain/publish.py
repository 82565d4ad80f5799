"""``dropper publish``: deploy and configure the drop's contract, resumably, then check it.

Every transaction is recorded in dropper.db (``deployments``, ``chain_steps``) before it is sent
and again once mined, so a rerun continues where a publish stopped and never deploys twice.
``recorded_deployment`` and ``drop_settings`` are the stable API other modules (manifest,
carbon) use; they read the drop and its database only and never touch a chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dropper.chain import records
from dropper.chain.drop import DropSettings, PremintMode, provenance_hash
from dropper.chain.records import Deployment
from dropper.errors import ConfigError, DropperError, MissingInput
from dropper.progress import Progress
from dropper.resources import load_json
from dropper.workspace import Drop

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

    from dropper.chain.check import ChainCheck

__all__ = ["Deployment", "PackageSummary", "PublishReport", "drop_settings", "publish", "recorded_deployment"]

MODES = {"premint": PremintMode.CONSECUTIVE, "premint-batched": PremintMode.BATCHED,
         "public-mint": PremintMode.NONE}
WEI_PER_ETH = Decimal(10) ** 18


@dataclass(frozen=True)
class PackageSummary:
    """What ``dropper package`` wrote to build/package.json."""

    root_cid: str
    base_uri: str
    token_uri_suffix: str
    contract_uri: str
    tokens: list[dict[str, Any]]

    @classmethod
    def read(cls, drop: Drop) -> PackageSummary:
        from dropper.stages.package import read_summary

        path = drop.build_dir / "package.json"
        raw = read_summary(drop)
        if "contract_uri" not in raw:  # written by a dropper without ERC-7572 contract metadata
            raise MissingInput(f"{path}: no contract_uri (packaged by an older dropper): run dropper package {drop.root}")
        tokens = sorted(raw["tokens"], key=lambda token: token["token_id"])
        if [token["token_id"] for token in tokens] != list(range(1, len(tokens) + 1)):
            raise DropperError(f"{path}: token ids are not 1..{len(tokens)}: run dropper package {drop.root} again")
        return cls(root_cid=raw["metadata_root_cid"], base_uri=raw["base_uri"],
                   token_uri_suffix=raw.get("token_uri_suffix", ".json"),
                   contract_uri=raw["contract_uri"], tokens=tokens)

    @property
    def content_hashes(self) -> list[str]:
        return [token["sha256"] for token in self.tokens]


def network(drop: Drop) -> str:
    """The network name the drop publishes to (``"embedded"`` or the RPC URL without credentials)."""
    from dropper.chain.network import network_name

    return network_name(drop.config.chain.rpc_url)


def recorded_deployment(drop: Drop) -> Deployment | None:
    """The drop's contract on its configured network as recorded by publish, or None.

    Reads dropper.db only. None until the deployment transaction is mined; ``steps`` lists the
    mined transactions so far (all of them once publish has finished).
    """
    row = records.latest(drop, network(drop))
    return records.as_deployment(drop, row) if row else None


def drop_settings(drop: Drop, *, deployer: str | None = None) -> DropSettings:
    """The constructor arguments publish uses: from drop.toml and build/package.json.

    An empty ``chain.artist_address`` means the deployer: the recorded one, else ``deployer``,
    else the address of the configured key (which must then be available).
    """
    chain = drop.config.chain
    summary = PackageSummary.read(drop)
    from web3 import Web3

    artist = Web3.to_checksum_address(chain.artist_address or _deployer_address(drop, deployer))
    receiver = Web3.to_checksum_address(chain.royalty_receiver) if chain.royalty_receiver else artist
    mode = MODES[chain.distribution]
    count = len(summary.tokens)
    price_wei = Decimal(str(chain.price_eth)) * WEI_PER_ETH
    if price_wei != price_wei.to_integral_value():
        raise ConfigError(f"drop.toml: chain.price_eth {chain.price_eth}: more decimals than a wei")
    settings = DropSettings(
        name=drop.config.drop.title, symbol=chain.symbol, base_uri=summary.base_uri,
        contract_uri=summary.contract_uri, license_uri=_license_uri(drop),
        provenance_hash=provenance_hash(summary.content_hashes), max_supply=count, artist=artist,
        royalty_receiver=receiver, royalty_bps=chain.royalty_bps,
        premint_count=0 if mode == PremintMode.NONE else count, premint_mode=mode,
        price_wei=int(price_wei), wallet_limit=chain.wallet_limit, uri_suffix=chain.token_uri_suffix)
    settings.check()
    return settings


def _deployer_address(drop: Drop, deployer: str | None) -> str:
    row = records.latest(drop, network(drop))
    if row is not None:
        return row.deployer
    if deployer is not None:
        return deployer
    if not drop.config.chain.rpc_url:
        from dropper.chain.keys import embedded_account

        return embedded_account().address
    from dropper.chain.keys import deployer_account

    chain = drop.config.chain
    return deployer_account(chain.key_env, chain.keystore, root=drop.root).address


def _license_uri(drop: Drop) -> str:
    return load_json("metadata", "licenses.json")[drop.config.drop.license]["uri"]


# ------------------------------------------------------------------------------ publishing

@dataclass
class StepOutcome:
    """One transaction of the publish: sent now, found already done, or (dry run) estimated."""

    step: str
    status: str  # "sent", "done" or "estimated"
    tx_hash: str | None = None
    gas: int | None = None
    cost_wei: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "tx_hash": self.tx_hash, "gas": self.gas,
                "cost_wei": self.cost_wei}


@dataclass
class PublishReport:
    """What publish did (or, with ``dry_run``, would do) and the post-publish check."""

    network: str
    chain_id: int
    address: str | None
    dry_run: bool = False
    gas_price_wei: int | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    check: Any = None  # a dropper.chain.check.ChainCheck after a real publish

    @property
    def sent(self) -> int:
        return sum(step.status == "sent" for step in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.check is None or self.check.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "chain_id": self.chain_id, "address": self.address,
                "dry_run": self.dry_run, "gas_price_wei": self.gas_price_wei, "sent": self.sent,
                "steps": [step.to_dict() for step in self.steps],
                "check": self.check.to_dict() if self.check is not None else None}


StepHook = Callable[[StepOutcome], None]


def publish(drop: Drop, *, dry_run: bool = False, progress: Progress | None = None,
            on_step: StepHook | None = None) -> PublishReport:
    """Gate, preflight, then deploy and configure the drop's contract and check it.

    Parameters
    ----------
    dry_run : bool
        Estimate each remaining transaction's gas and cost (gas price from the node) and send nothing.
    progress : Progress, optional
        Shows one bar over the transactions on a terminal.
    on_step : callable, optional
        Called after each transaction is mined and recorded (tests interrupt a publish here).
    """
    from dropper.chain.check import preflight
    from dropper.chain.network import open_chain
    from dropper.gate import require_clearance

    require_clearance(drop, action="publish")
    summary = PackageSummary.read(drop)
    chain = open_chain(drop)
    settings = drop_settings(drop, deployer=chain.deployer)
    with _node_lost(chain):
        preflight(drop, summary, settings)
        row = _matching_record(drop, chain, settings)
        if dry_run:
            return _dry_run(drop, chain, settings, row)
        return _send(drop, chain, settings, summary, row, progress, on_step)


def _send(drop: Drop, chain, settings: DropSettings, summary: PackageSummary,
          row: records.DeploymentRow | None, progress: Progress | None, on_step: StepHook | None) -> PublishReport:
    """Deploy (unless recorded), send the configuration still missing, then check the contract."""
    from dropper.chain.check import check_contract

    row = row or records.create(drop, chain_id=chain.chain_id, network=chain.network, settings=settings,
                                deployer=chain.deployer)
    report = PublishReport(chain.network, chain.chain_id, None)
    progress = progress or Progress.quiet()
    with progress.task("publish", total=_planned_count(settings, drop.config.chain.premint_batch)) as advance:
        def done(outcome: StepOutcome) -> None:
            report.steps.append(outcome)
            advance(outcome.step)
            if on_step is not None and outcome.status == "sent":
                on_step(outcome)

        contract = _deploy(drop, chain, row, settings, done)
        report.address = contract.address
        for name, call in configuration_steps(contract, settings, drop.config.chain.premint_batch):
            _run_step(drop, chain, row.id, name, lambda call=call: call.build_transaction({"from": chain.deployer}),
                      done)
    report.check = check_contract(contract, settings, summary)
    return report


def _matching_record(drop: Drop, chain, settings: DropSettings) -> records.DeploymentRow | None:
    """The record to resume, after checking it belongs to this chain and these settings.

    On a real network a drop whose settings changed since its deployment is an error (a
    deployed contract's provenance, supply and URIs are what collectors rely on); on the
    embedded chain, a rehearsal, the changed drop gets a new deployment (None here).
    """
    row = records.latest(drop, chain.network)
    if row is None:
        return None
    if row.chain_id != chain.chain_id:
        raise ConfigError(f"{chain.network} reports chain id {chain.chain_id}, but the drop was published there "
                          f"on chain id {row.chain_id}: refusing to mix chains")
    current = records.settings_record(settings)
    changed = sorted(key for key, value in current.items() if row.settings.get(key) != value)
    if changed and chain.embedded is not None:  # a rehearsal chain: the changed drop is deployed afresh
        return None
    if changed:
        where = f" at {row.address}" if row.address else ""
        raise ConfigError(f"the drop changed since it was published on {chain.network}{where} "
                          f"({', '.join(changed)}): a deployed drop cannot be republished")
    if row.address and not chain.w3.eth.get_code(row.address):
        if chain.embedded is not None:  # build/chain/ was removed: the rehearsal starts over
            return None
        raise DropperError(f"{chain.network}: no contract at the recorded address {row.address}: "
                           "is chain.rpc_url the node the drop was published on?")
    return row


def configuration_steps(contract: Contract, settings: DropSettings, batch_size: int) -> list[tuple[str, Any]]:
    """The owner transactions still needed after deployment, read from the contract's state.

    premint-batched: one ``premintBatch`` per ``batch_size`` ids not minted yet; public-mint:
    opening the sale once. A consecutive premint is complete at deployment.
    """
    calls = contract.functions
    if settings.premint_mode == PremintMode.BATCHED:
        steps = []
        first = calls.premintedCount().call() + 1
        while first <= settings.premint_count:
            last = min(first + batch_size - 1, settings.premint_count)
            ids = f"{first}-{last}" if last > first else f"{first}"
            steps.append((f"premint {ids}", calls.premintBatch(last - first + 1)))
            first = last + 1
        return steps
    if settings.premint_mode == PremintMode.NONE and not calls.sale().call()[3]:
        return [("open sale", calls.setSale(settings.price_wei, settings.wallet_limit, True))]
    return []


def _planned_count(settings: DropSettings, batch_size: int) -> int:
    if settings.premint_mode == PremintMode.BATCHED:
        return 1 + -(-settings.premint_count // batch_size)
    return 2 if settings.premint_mode == PremintMode.NONE else 1


def contract_at(w3: Web3, address: str) -> Contract:
    from dropper.chain.artifacts import load_artifact

    return w3.eth.contract(address=address, abi=load_artifact().abi)


def _deploy(drop: Drop, chain, row: records.DeploymentRow, settings: DropSettings, done: StepHook) -> Contract:
    """Deploy once: a recorded deployment is reused, a lost deployment transaction is sent again."""
    if row.address is None:
        from dropper.chain.artifacts import load_artifact

        artifact = load_artifact()
        factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = _run_step(drop, chain, row.id, "deploy",
                            lambda: factory.constructor(settings.as_tuple()).build_transaction(
                                {"from": chain.deployer}), done=None)
        records.set_address(drop, row.id, address=receipt.contractAddress,
                            deploy_tx=receipt.transactionHash.to_0x_hex(), block=receipt.blockNumber)
        done(StepOutcome("deploy", "sent", receipt.transactionHash.to_0x_hex(), receipt.gasUsed))
        return contract_at(chain.w3, receipt.contractAddress)
    recorded = records.steps(drop, row.id).get("deploy")
    done(StepOutcome("deploy", "done", row.deploy_tx, recorded.gas_used if recorded else None))
    return contract_at(chain.w3, row.address)


def _run_step(drop: Drop, chain, deployment_id: int, name: str, build: Callable[[], dict[str, Any]],
              done: StepHook | None) -> Any:
    """Send one recorded step unless it is already mined; returns its receipt (None if done before)."""
    recorded = records.steps(drop, deployment_id).get(name)
    receipt = chain.receipt(recorded.tx_hash) if recorded and recorded.status == "sent" else None
    if recorded and recorded.status == "mined":
        if done is not None:
            done(StepOutcome(name, "done", recorded.tx_hash, recorded.gas_used))
        return chain.receipt(recorded.tx_hash)
    if receipt is None:
        transaction = _node_call(chain, name, lambda: _estimated(name, lambda: chain.prepare(build())))
        raw, tx_hash = chain.sign(transaction)
        records.record_step(drop, deployment_id, name, tx_hash=tx_hash, status="sent")
        receipt = _node_call(chain, name, lambda: chain.broadcast(raw, tx_hash))
    tx_hash = receipt.transactionHash.to_0x_hex()
    status = "mined" if receipt.status == 1 else "failed"
    records.record_step(drop, deployment_id, name, tx_hash=tx_hash, status=status, gas_used=receipt.gasUsed,
                        block=receipt.blockNumber)
    if status == "failed":
        raise DropperError(f"publish: transaction '{name}' ({tx_hash}) reverted on {chain.network}; "
                           "run dropper publish again to retry it")
    if done is not None:
        done(StepOutcome(name, "sent", tx_hash, receipt.gasUsed))
    return receipt


def _estimated(name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Build a transaction; a call the node says would revert becomes an error naming the step."""
    from web3.exceptions import ContractLogicError

    try:
        return build()
    except ContractLogicError as exc:
        raise DropperError(f"publish: transaction '{name}' would revert ({exc}); nothing was sent") from None


@contextmanager
def _node_lost(chain) -> Iterator[None]:
    """A connection to the node lost between transactions (reading state, estimating) is one line."""
    from dropper.errors import NodeUnreachable

    try:
        yield
    except OSError as exc:
        raise NodeUnreachable(f"{chain.network} stopped answering ({type(exc).__name__}); nothing more was "
                              "sent: run dropper publish again once it answers, it resumes") from None


def _node_call(chain, name: str, call: Callable[[], Any]) -> Any:
    """Run ``call``; the node's refusal (no funds, nonce, fee) or silence becomes one line."""
    from web3.exceptions import TimeExhausted, Web3Exception

    from dropper.errors import NodeUnreachable

    try:
        return call()
    except OSError as exc:
        raise NodeUnreachable(f"{chain.network} stopped answering during '{name}' ({type(exc).__name__}); "
                              "run dropper publish again: it finds the transaction if it was sent") from None
    except TimeExhausted:
        raise NodeUnreachable(f"{chain.network}: transaction '{name}' is still pending after 10 minutes; "
                              "run dropper publish again later: it waits for the same transaction") from None
    except (Web3Exception, ValueError) as exc:
        raise DropperError(f"{chain.network} refused transaction '{name}': {exc}") from None


def _dry_run(drop: Drop, chain, settings: DropSettings, row: records.DeploymentRow | None) -> PublishReport:
    """Estimate the remaining transactions; nothing is signed or sent.

    The node estimates the deployment. The transactions after it need the contract to exist,
    so until it does they are measured on a scratch in-process EVM (the same bytecode costs
    the same gas on every EVM of the same fork); once it is deployed, the node estimates them.
    """
    gas_price = int(chain.w3.eth.gas_price)
    report = PublishReport(chain.network, chain.chain_id, row.address if row else None, dry_run=True,
                           gas_price_wei=gas_price)
    batch = drop.config.chain.premint_batch
    if row is not None and row.address is not None:
        contract = contract_at(chain.w3, row.address)
        report.steps.append(StepOutcome("deploy", "done", row.deploy_tx))
        planned = [(name, chain.w3.eth.estimate_gas(call.build_transaction({"from": chain.deployer})))
                   for name, call in configuration_steps(contract, settings, batch)]
    else:
        from dropper.chain.artifacts import load_artifact

        artifact = load_artifact()
        factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        deploy_gas = chain.w3.eth.estimate_gas(factory.constructor(settings.as_tuple()).build_transaction(
            {"from": chain.deployer}))
        planned = [("deploy", deploy_gas), *_simulate(settings, batch)[1:]]
    report.steps += [StepOutcome(name, "estimated", gas=gas, cost_wei=gas * gas_price) for name, gas in planned]
    return report


def _simulate(settings: DropSettings, batch_size: int) -> list[tuple[str, int]]:
    """Deploy and configure on a throwaway in-process EVM; the gas of each transaction."""
    from dropper.chain.drop import deploy_drop, in_process_web3

    w3 = in_process_web3()
    deployed = deploy_drop(w3, settings)
    gas = [("deploy", deployed.deploy_gas)]
    for name, call in configuration_steps(deployed.contract, settings, batch_size):
        receipt = w3.eth.wait_for_transaction_receipt(call.transact())
        gas.append((name, receipt.gasUsed))
    return gas


def verify_chain(drop: Drop) -> ChainCheck:
    """``dropper verify --chain``: read the published contract back and compare it with the package."""
    from dropper.chain.check import check_contract
    from dropper.chain.network import open_chain

    chain = open_chain(drop, need_key=False)
    row = records.latest(drop, chain.network)
    if row is None or row.address is None:
        raise MissingInput(f"the drop is not published on {chain.network} yet: run dropper publish {drop.root}")
    settings = drop_settings(drop)
    if _matching_record(drop, chain, settings) is None:  # the embedded chain only: a rehearsal
        raise MissingInput(f"the drop as packaged now is not published on {chain.network} (it changed "
                           f"since, or build/chain/ was removed): run dropper publish {drop.root}")
    return check_contract(contract_at(chain.w3, row.address), settings, PackageSummary.read(drop))
