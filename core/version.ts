/**
 * FaaSO's version, shown by `faaso version` and compared between a client
 * and its server.
 *
 * @module
 */

/** This build of FaaSO. */
export const VERSION = "0.1.0";
