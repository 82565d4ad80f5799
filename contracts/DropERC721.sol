// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Consecutive} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Consecutive.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";

/// @title The ERC-721 contract of one dropper album drop.
/// @notice Token ids run from 1 to `maxSupply` (one token per kept song). The first
/// `premintCount` ids go to the artist, either at deployment through ERC-2309 consecutive
/// transfers or afterwards in owner-driven batches; ids after them are sold by `mint`.
contract DropERC721 is ERC721Consecutive, ERC2981, Ownable, IERC4906 {
    using Strings for uint256;
    using ShortStrings for *;

    enum PremintMode {
        None,
        Consecutive,
        Batched
    }

    /// @dev Constructor arguments, grouped so that the deployment call stays readable.
    struct DropConfig {
        string name;
        string symbol;
        string baseURI;
        string uriSuffix;
        string contractURI;
        string licenseURI;
        bytes32 provenanceHash;
        uint256 maxSupply;
        uint256 premintCount;
        PremintMode premintMode;
        address artist;
        address royaltyReceiver;
        uint96 royaltyBps;
        uint128 priceWei;
        uint32 walletLimit;
    }

    /// @dev Everything a public mint reads, in one storage slot.
    struct Sale {
        uint128 priceWei;
        uint32 walletLimit;
        uint64 nextSaleId;
        bool open;
    }

    /// ERC-7572: contract-level metadata changed.
    event ContractURIUpdated();
    /// The base URI can no longer change.
    event BaseURIFrozen(string baseURI);
    event SaleUpdated(uint256 priceWei, uint256 walletLimit, bool open);

    error SupplyExceeded(uint256 available);
    error WrongPayment(uint256 expectedWei);
    error WalletLimitExceeded(uint256 walletLimit);
    error SaleClosed();
    error BaseURIIsFrozen();
    error BadPremint();
    error WithdrawFailed();

    /// SHA-256 over the ordered media content hashes, fixed at deployment.
    bytes32 public immutable provenanceHash;
    uint256 public immutable maxSupply;
    uint256 public immutable premintCount;
    address public immutable artist;
    PremintMode public immutable premintMode;
    // Ids up to this one may live in the consecutive-ownership checkpoints.
    uint256 private immutable _lastConsecutiveId;
    // Short (<= 31 bytes, e.g. ".json"); kept in code rather than in a storage slot.
    ShortString private immutable _uriSuffix;

    Sale private _sale;
    // Only used by the batched premint: a consecutive premint is complete at deployment.
    uint256 private _batchPreminted;
    bool public baseURIFrozen;
    string private _baseTokenURI;
    string private _contractURI;
    string public licenseURI;

    constructor(DropConfig memory config)
        ERC721(config.name, config.symbol)
        Ownable(msg.sender)
    {
        if (config.premintCount > config.maxSupply) revert BadPremint();
        if ((config.premintMode == PremintMode.None) != (config.premintCount == 0)) revert BadPremint();
        provenanceHash = config.provenanceHash;
        maxSupply = config.maxSupply;
        premintCount = config.premintCount;
        artist = config.artist;
        premintMode = config.premintMode;
        _baseTokenURI = config.baseURI;
        _uriSuffix = config.uriSuffix.toShortString();
        _contractURI = config.contractURI;
        licenseURI = config.licenseURI;
        _setDefaultRoyalty(config.royaltyReceiver, config.royaltyBps);
        _sale = Sale(config.priceWei, config.walletLimit, uint64(config.premintCount + 1), false);

        uint256 consecutive = config.premintMode == PremintMode.Consecutive ? config.premintCount : 0;
        _lastConsecutiveId = consecutive;
        for (uint256 minted = 0; minted < consecutive; ) {
            uint256 batch = consecutive - minted;
            if (batch > _maxBatchSize()) batch = _maxBatchSize();
            _mintConsecutive(config.artist, uint96(batch));
            minted += batch;
        }
    }

    // ---------------------------------------------------------------- minting

    /// @notice Buy `quantity` tokens at the sale price; a wallet may hold at most the wallet limit.
    function mint(uint256 quantity) external payable {
        Sale memory current = _sale;
        if (!current.open) revert SaleClosed();
        uint256 first = current.nextSaleId;
        if (first + quantity > maxSupply + 1) revert SupplyExceeded(maxSupply + 1 - first);
        if (msg.value != uint256(current.priceWei) * quantity) revert WrongPayment(uint256(current.priceWei) * quantity);
        // The limit is checked on the wallet's holdings: a counter of its own would cost a
        // fresh storage slot (~22k gas) on every wallet's first mint.
        if (balanceOf(msg.sender) + quantity > current.walletLimit) revert WalletLimitExceeded(current.walletLimit);
        _sale.nextSaleId = uint64(first + quantity);
        for (uint256 i = 0; i < quantity; ++i) {
            _mint(msg.sender, first + i);
        }
    }

    /// @notice Mint the next `count` premint ids to the artist (premint mode `Batched` only).
    function premintBatch(uint256 count) external onlyOwner {
        uint256 done = _batchPreminted;
        if (premintMode != PremintMode.Batched || done + count > premintCount) revert BadPremint();
        _batchPreminted = done + count;
        uint256 first = done + 1;
        for (uint256 i = 0; i < count; ++i) {
            _mint(artist, first + i);
        }
    }

    /// @notice Tokens minted so far (nothing is ever burned).
    function totalSupply() external view returns (uint256) {
        return premintedCount() + (uint256(_sale.nextSaleId) - premintCount - 1);
    }

    /// @notice Ids minted by `premintBatch` so far, or the whole premint once done.
    function premintedCount() public view returns (uint256) {
        return premintMode == PremintMode.Batched ? _batchPreminted : premintCount;
    }

    // ---------------------------------------------------------------- sale

    function sale() external view returns (uint256 priceWei, uint256 walletLimit, uint256 nextSaleId, bool open) {
        Sale memory s = _sale;
        return (s.priceWei, s.walletLimit, s.nextSaleId, s.open);
    }

    function setSale(uint128 priceWei, uint32 walletLimit, bool open) external onlyOwner {
        Sale storage s = _sale;
        (s.priceWei, s.walletLimit, s.open) = (priceWei, walletLimit, open);
        emit SaleUpdated(priceWei, walletLimit, open);
    }

    /// @notice Send the sale proceeds to `to`.
    function withdraw(address payable to) external onlyOwner {
        (bool sent, ) = to.call{value: address(this).balance}("");
        if (!sent) revert WithdrawFailed();
    }

    // ---------------------------------------------------------------- metadata

    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return string.concat(_baseTokenURI, tokenId.toString(), _uriSuffix.toString());
    }

    function baseURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    function setBaseURI(string calldata newBaseURI) external onlyOwner {
        if (baseURIFrozen) revert BaseURIIsFrozen();
        _baseTokenURI = newBaseURI;
        emit BatchMetadataUpdate(1, maxSupply);
    }

    /// @notice Fix the base URI for good.
    function freezeBaseURI() external onlyOwner {
        baseURIFrozen = true;
        emit BaseURIFrozen(_baseTokenURI);
    }

    /// ERC-7572 contract-level metadata.
    function contractURI() external view returns (string memory) {
        return _contractURI;
    }

    function setContractURI(string calldata newContractURI) external onlyOwner {
        _contractURI = newContractURI;
        emit ContractURIUpdated();
    }

    /// @notice Change the EIP-2981 royalty (the receiver may be a split contract).
    function setRoyalty(address receiver, uint96 bps) external onlyOwner {
        _setDefaultRoyalty(receiver, bps);
    }

    // ---------------------------------------------------------------- overrides

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC2981, IERC165) returns (bool) {
        return interfaceId == 0x49064906 || super.supportsInterface(interfaceId);
    }

    function _firstConsecutiveId() internal pure override returns (uint96) {
        return 1;
    }

    // Sale and batched-premint ids were never part of a consecutive batch: skip the
    // checkpoint lookup (about 7k gas on every mint).
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        if (tokenId > _lastConsecutiveId) return ERC721._ownerOf(tokenId);
        return super._ownerOf(tokenId);
    }
}
