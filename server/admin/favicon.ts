/**
 * FaaSO's icon (a white F on blue, 32x32), served at `/favicon.ico`: an ICO
 * holding one PNG, small enough to keep in the code so that the compiled
 * binary needs no asset file.
 *
 * @module
 */

const BASE64 =
  "AAABAAEAICAAAAEAIACXAAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAgAAAAIAgGAAAAc3p69AAAAF5JREFUeNpjYMABePP+/qcmZiAGUNtSkhxDL8uxOoLelmM4YmQ7YKAshzuCWIXkglEHjDqApg4Y8FwwaLPhqANGjgNGc8GoA0YdMDwcMNoqHhQOGPCu2aDonA5U9xwAUv9Lw+8tJzoAAAAASUVORK5CYII=";

/** The icon's bytes, as an ICO file. */
export const FAVICON: Uint8Array<ArrayBuffer> = Uint8Array.from(atob(BASE64), (char) => char.charCodeAt(0));
