// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Gas baseline: a plain OpenZeppelin ERC-721 with an owner mint loop and a paid mint.
/// @notice Only `benchmarks/gas.py` deploys it, to compare dropper's contract in the same EVM.
contract BaselineERC721 is ERC721, Ownable {
    uint256 public immutable priceWei;
    uint256 private _nextId = 1;

    constructor(uint256 priceWei_) ERC721("Baseline", "BASE") Ownable(msg.sender) {
        priceWei = priceWei_;
    }

    function ownerMint(address to, uint256 count) external onlyOwner {
        uint256 first = _nextId;
        _nextId = first + count;
        for (uint256 i = 0; i < count; ++i) {
            _mint(to, first + i);
        }
    }

    function mint() external payable {
        require(msg.value == priceWei, "wrong payment");
        _mint(msg.sender, _nextId++);
    }
}
