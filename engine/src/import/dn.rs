//! Distinguished names as AD writes them (RFC 4514): split on unescaped commas, compare
//! case-insensitively after unescaping.
