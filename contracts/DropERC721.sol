// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC2309} from "@openzeppelin/contracts/interfaces/IERC2309.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";

/// @title The ERC-721 contract of one dropper album drop.
/// @notice Token ids run from 1 to `maxSupply` (one token per kept song). The first
/// `premintCount` ids go to the artist, either at deployment through ERC-2309 consecutive
/// transfers or afterwards in owner-driven batches; ids after them are sold by `mint`.
/// @dev The consecutive premint always gives one range (1..premintCount) to one owner (the
/// artist), so an id of that range that never moved is owned by the immutable `artist`: no
/// ownership checkpoints are needed. OpenZeppelin's ERC721Consecutive keeps such checkpoints
/// for any number of ranges and owners; they cost 841 bytes of code (about 180k gas at
/// deployment) and 46k gas per premint for nothing here. Tokens are never burned.
contract DropERC721 is ERC721, ERC2981, Ownable, IERC4906, IERC2309 {
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
        uint96 priceWei;
        uint32 walletLimit;
    }

    /// @dev Everything a public mint reads, in one storage slot.
    struct Sale {
        uint96 priceWei;
        uint32 walletLimit;
        uint64 nextSaleId;
        uint32 maxSupply;
        bool open;
    }

    /// ERC-7572: contract-level metadata changed.
    event ContractURIUpdated();
    /// The base URI can no longer change.
    event BaseURIFrozen();
    event SaleUpdated(uint256 priceWei, uint256 walletLimit, bool open);

    error SupplyExceeded(uint256 available);
    error WrongPayment(uint256 expectedWei);
    error WalletLimitExceeded(uint256 walletLimit);
    error SaleClosed();
    error BaseURIIsFrozen();
    error BadPremint();
    error WithdrawFailed();
    error LicenseURITooLong();

    // ERC-2309 events name at most this many ids, as OpenZeppelin's ERC721Consecutive does.
    uint256 private constant _MAX_BATCH = 5000;
    uint256 private constant _MAX_LICENSE_URI = 96;

    /// SHA-256 over the ordered media content hashes, fixed at deployment.
    bytes32 public immutable provenanceHash;
    uint256 public immutable premintCount;
    address public immutable artist;
    PremintMode public immutable premintMode;
    // Ids 1.._lastConsecutiveId were minted to the artist by ERC-2309 at deployment.
    uint256 private immutable _lastConsecutiveId;
    // Short (<= 31 bytes, e.g. ".json"); kept in code rather than in a storage slot.
    ShortString private immutable _uriSuffix;
    // The license URI (at most 96 bytes, fixed for good) lives in code: three words and a length.
    bytes32 private immutable _license0;
    bytes32 private immutable _license1;
    bytes32 private immutable _license2;
    uint256 private immutable _licenseLength;

    Sale private _sale;
    // Only used by the batched premint: a consecutive premint is complete at deployment.
    uint256 private _batchPreminted;
    bool public baseURIFrozen;
    string private _baseTokenURI;
    // Empty means the default, contract.json beside the token metadata (see contractURI).
    string private _contractURI;

    constructor(DropConfig memory config)
        ERC721(config.name, config.symbol)
        Ownable(msg.sender)
    {
        if (config.premintCount > config.maxSupply || config.maxSupply > type(uint32).max) revert BadPremint();
        if ((config.premintMode == PremintMode.None) != (config.premintCount == 0)) revert BadPremint();
        if (config.premintCount > 0 && config.artist == address(0)) revert BadPremint();
        provenanceHash = config.provenanceHash;
        premintCount = config.premintCount;
        artist = config.artist;
        premintMode = config.premintMode;
        _baseTokenURI = config.baseURI;
        _uriSuffix = config.uriSuffix.toShortString();
        if (bytes(config.contractURI).length > 0) _contractURI = config.contractURI;
        (_license0, _license1, _license2, _licenseLength) = _packLicense(config.licenseURI);
        _setDefaultRoyalty(config.royaltyReceiver, config.royaltyBps);
        _sale = Sale(config.priceWei, config.walletLimit, uint64(config.premintCount + 1),
            uint32(config.maxSupply), false);

        uint256 consecutive = config.premintMode == PremintMode.Consecutive ? config.premintCount : 0;
        _lastConsecutiveId = consecutive;
        if (consecutive > 0) {
            _increaseBalance(config.artist, uint128(consecutive));
            for (uint256 first = 1; first <= consecutive; first += _MAX_BATCH) {
                uint256 last = first + _MAX_BATCH - 1;
                emit ConsecutiveTransfer(first, last < consecutive ? last : consecutive, address(0), config.artist);
            }
        }
    }

    function _packLicense(string memory uri) private pure returns (bytes32 a, bytes32 b, bytes32 c, uint256 length) {
        length = bytes(uri).length;
        if (length > _MAX_LICENSE_URI) revert LicenseURITooLong();
        bytes memory padded = bytes.concat(bytes(uri), new bytes(_MAX_LICENSE_URI));
        assembly ("memory-safe") {
            a := mload(add(padded, 32))
            b := mload(add(padded, 64))
            c := mload(add(padded, 96))
        }
    }

    // ---------------------------------------------------------------- minting

    /// @notice Buy `quantity` tokens at the sale price; a wallet may hold at most the wallet limit.
    function mint(uint256 quantity) external payable {
        Sale memory current = _sale;
        if (!current.open) revert SaleClosed();
        uint256 first = current.nextSaleId;
        uint256 end = uint256(current.maxSupply) + 1;
        if (first + quantity > end) revert SupplyExceeded(end - first);
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

    function setSale(uint96 priceWei, uint32 walletLimit, bool open) external onlyOwner {
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

    /// @notice Number of tokens the drop will ever have (one per kept song).
    function maxSupply() public view returns (uint256) {
        return _sale.maxSupply;
    }

    /// @notice The license of the drop's songs, fixed at deployment.
    function licenseURI() external view returns (string memory uri) {
        (bytes32 a, bytes32 b, bytes32 c) = (_license0, _license1, _license2);
        uri = new string(_MAX_LICENSE_URI);
        uint256 length = _licenseLength;
        assembly ("memory-safe") {
            mstore(add(uri, 32), a)
            mstore(add(uri, 64), b)
            mstore(add(uri, 96), c)
            mstore(uri, length)
        }
    }

    function baseURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    function setBaseURI(string calldata newBaseURI) external onlyOwner {
        if (baseURIFrozen) revert BaseURIIsFrozen();
        _baseTokenURI = newBaseURI;
        emit BatchMetadataUpdate(1, maxSupply());
        if (bytes(_contractURI).length == 0) emit ContractURIUpdated();
    }

    /// @notice Fix the base URI for good.
    function freezeBaseURI() external onlyOwner {
        baseURIFrozen = true;
        emit BaseURIFrozen();
    }

    /// ERC-7572 contract-level metadata: by default contract.json beside the token metadata.
    function contractURI() external view returns (string memory) {
        if (bytes(_contractURI).length == 0) return string.concat(_baseTokenURI, "contract.json");
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

    // An id of the consecutive premint that never moved still belongs to the artist.
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        address owner = super._ownerOf(tokenId);
        if (owner == address(0) && tokenId != 0 && tokenId <= _lastConsecutiveId) return artist;
        return owner;
    }
}
