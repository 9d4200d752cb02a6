// Compose Revisit's subgraph SDL (read from the file named on the command line) with a small host
// subgraph that extends Revisit's entities, the way a host system's gateway would. Exits non-zero
// and prints the composition errors when the supergraph cannot be built.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const revisitSdl = readFileSync(process.argv[2], "utf8");

const hostSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key", "@external"])

  type Tenant @key(fields: "id") {
    id: ID!
    hostAccountManager: String
  }

  type Customer @key(fields: "id") {
    id: ID!
    hostLoyaltyTier: String
  }

  type Query {
    hostShop(id: ID!): Tenant
  }
`;

const result = composeServices([
  { name: "revisit", typeDefs: parse(revisitSdl), url: "http://revisit/graphql" },
  { name: "host", typeDefs: parse(hostSdl), url: "http://host/graphql" },
]);

if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
const supergraph = result.supergraphSdl;
for (const needed of ["type Tenant", "hostAccountManager", "type Customer", "hostLoyaltyTier", "ingestEvents"]) {
  if (!supergraph.includes(needed)) {
    console.error(`supergraph is missing ${needed}`);
    process.exit(1);
  }
}
console.log(`composed: ${supergraph.length} characters of supergraph SDL`);
