/**
 * The testing kit's facts come from the IR alone (issue #10 point 3): constraint parameters, set items
 * and condition hints are read from the IR's data through the registry's types, never by parsing the
 * policy's sources again; a policy with no source text at all gives the same facts.
 */
import { describe, expect, it } from "vitest";
import { compilePolicy, Policy } from "../src/index.js";
import { gatherFacts } from "../src/testing/facts.js";

const TEXT = `policy "facts"
const ROOT = "/srv/data"
set office: cidr = ["192.168.1.0/24", private]
set partners: domain = ["partner.example", "*.trusted.example"]
tool read_file {
  args {
    path: path(root: ROOT, maxLength: 300)
  }
}
tool fetch {
  args {
    url: url(schemes: ["HTTPS"], hosts: partners, deny: internal, ports: [8443])
    peer: ip(allow: office)
  }
}
tool query {
  args {
    sql: sql(tables: ["users"], denyColumns: ["password"])
  }
}
role staff {
  allow tool read_file when client.ip in office
  allow tool fetch
  allow tool query
}
`;

describe("facts from the IR", () => {
  const compiled = compilePolicy(TEXT, { readFile: null });
  // The same IR with no source files: nothing can be parsed again.
  const bare = new Policy(compiled.ir, [], []);

  it("constraint parameters, as the policy wrote them (constants resolved, sets expanded)", () => {
    for (const p of [compiled, bare]) {
      const params = [...gatherFacts([p]).checks.values()];
      expect(params).toEqual([
        { kind: "path", root: "/srv/data", maxLength: 300 },
        { kind: "url", schemes: ["HTTPS"], hosts: ["partner.example", "*.trusted.example"], deny: expect.arrayContaining(["10.0.0.0/8", "127.0.0.0/8", "169.254.169.254/32"]), ports: [8443] },
        { kind: "ip", allow: ["192.168.1.0/24", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
        { kind: "sql", readonly: true, dialect: "postgresql", unions: true, tables: ["users"], denyColumns: ["password"] },
      ]);
    }
  });

  it("set items and condition hints, without the sources", () => {
    const f = gatherFacts([bare]);
    expect(f.cidrs).toEqual(expect.arrayContaining(["192.168.1.0/24", "10.0.0.0/8", "127.0.0.0/8"]));
    expect(f.domains).toEqual(expect.arrayContaining(["partner.example", "*.trusted.example"]));
    expect(f.hints.get("client.ip")?.cidrs).toEqual(["192.168.1.0/24", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]);
    const { policies: _a, ...fromBare } = gatherFacts([bare]);
    const { policies: _b, ...fromSources } = gatherFacts([compiled]);
    expect(fromBare).toEqual(fromSources);
  });
});
