"""The drop's carbon estimate: gas x emission factor (by date and era) x offset multiplier."""
