"""Test-integrity rules on JavaScript/TypeScript tests a change adds or edits, in real git repositories."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from shopfloor.gate.testproof import check_test_integrity
from tests.gate.testproof.gitrepo import init_repo, marked_line, write

BASE = {
    "src/math.js": "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n",
    "src/db.js": "exports.query = async () => [];\n",
    "src/users.js": "const db = require('./db');\nexports.count = async () => (await db.query()).length;\n",
    "src/__tests__/math.test.js": (
        "const { add } = require('../math');\n\n"
        "it.skip('adds later', () => { expect(add(1, 2)).toBe(3); });\n\n"
        "it('smoke', () => { add(1, 2); });\n\n"
        "it('adds', () => { expect(add(2, 2)).toBe(4); });\n"
    ),
}

HEAD = "import { add, mul } from '../src/math';\n\n"

# (name, test file body, rule it must raise); `// <-` marks the line the finding must point at.
CHEATS = [
    ("no expect", "it('adds', () => {  // <-\n  add(1, 2); // expect(add(1, 2)).toBe(3)\n});\n", "TI001"),
    (
        "assertion only inside a string",
        "test('adds', () => {  // <-\n  const note = \"expect(add(1, 2)).toBe(3)\";\n  add(1, 2);\n});\n",
        "TI001",
    ),
    (
        "expect(true).toBe(true)",
        "it('adds', () => {\n  add(1, 2);\n  expect(true).toBe(true);  // <-\n});\n",
        "TI002",
    ),
    (
        "expect(1).toEqual(1)",
        "it('adds', () => {\n  add(1, 2);\n  expect(1).toEqual(1);  // <-\n});\n",
        "TI002",
    ),
    (
        "assert.strictEqual on literals",
        "const assert = require('node:assert');\ntest('adds', () => {\n  add(1, 2);\n"
        "  assert.strictEqual(3, 3);  // <-\n});\n",
        "TI002",
    ),
    (
        "value compared with itself",
        "it('adds', () => {\n  const got = add(1, 2);\n  expect(got).toBe(got);  // <-\n});\n",
        "TI002",
    ),
    (
        "empty catch",
        "it('adds', () => {\n  try {\n    expect(add(1, 2)).toBe(4);\n  } catch (e) {  // <-\n  }\n});\n",
        "TI003",
    ),
    (
        "catch asserts on ECONNREFUSED",
        "it('fetches', async () => {\n  try {\n    const r = await fetch('http://localhost:9');\n"
        "    expect(r.status).toBe(200);\n  } catch (err) {  // <-\n"
        "    expect(err.message).toMatch(/ECONNREFUSED/);\n  }\n});\n",
        "TI003",
    ),
    (
        "promise .catch swallows the chain",
        "it('fetches', () => {\n  return fetch('http://localhost:9').then((r) => expect(r.ok).toBe(true))\n"
        "    .catch(() => {});  // <-\n});\n",
        "TI003",
    ),
    ("it.only", "it.only('adds', () => {  // <-\n  expect(add(1, 2)).toBe(3);\n});\n", "TI005"),
    (
        "fdescribe",
        "fdescribe('math', () => {  // <-\n  it('adds', () => { expect(add(1, 2)).toBe(3); });\n});\n",
        "TI005",
    ),
    ("test.skip", "test.skip('adds', () => {  // <-\n  expect(add(1, 2)).toBe(3);\n});\n", "TI004"),
    ("xit", "xit('adds', () => {  // <-\n  expect(add(1, 2)).toBe(3);\n});\n", "TI004"),
    (
        "xdescribe",
        "xdescribe('math', () => {  // <-\n  it('adds', () => { expect(add(1, 2)).toBe(3); });\n});\n",
        "TI004",
    ),
    ("it.todo", "it.todo('multiplies');  // <-\n", "TI004"),
    (
        "node:test skip option",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('adds', { skip: 'later' }, () => {  // <-\n  assert.equal(add(1, 2), 3);\n});\n",
        "TI004",
    ),
    (
        "jest.mock of the unit under test",
        "jest.mock('../src/math', () => ({ add: () => 3, mul: () => 0 }));  // <-\n\n"
        "it('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\n",
        "TI007",
    ),
    (
        "jest: result compared with itself",
        "it('multiplies', () => {\n  expect(mul(2, 3)).toBe(mul(2, 3));  // <-\n});\n",
        "TI002",
    ),
    (
        "node:test: result compared with itself",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('multiplies', () => {\n  assert.deepStrictEqual(mul(2, 3), mul(2, 3));  // <-\n});\n",
        "TI002",
    ),
    (
        "mocha+chai: result compared with itself",
        "const { expect } = require('chai');\ndescribe('mul', function () {\n"
        "  it('multiplies', function () {\n    expect(mul(2, 3)).to.equal(mul(2, 3));  // <-\n  });\n});\n",
        "TI002",
    ),
    (
        "jest.spyOn with a fake, then the fake asserted",
        "import * as math from '../src/math';\nit('multiplies', () => {\n"
        "  jest.spyOn(math, 'mul').mockReturnValue(6);  // <-\n  expect(math.mul(2, 3)).toBe(6);\n});\n",
        "TI007",
    ),
    (
        "vitest: vi.spyOn in beforeEach, then the fake asserted",
        "import * as math from '../src/math';\nbeforeEach(() => {\n"
        "  vi.spyOn(math, 'mul').mockImplementation(() => 6);  // <-\n});\n"
        "it('multiplies', () => {\n  expect(math.mul(2, 3)).toEqual(6);\n});\n",
        "TI007",
    ),
    (
        "node:test mock.method, then the fake asserted",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "const math = require('../src/math');\ntest('multiplies', (t) => {\n"
        "  t.mock.method(math, 'mul', () => 6);  // <-\n  assert.equal(math.mul(2, 3), 6);\n});\n",
        "TI007",
    ),
    (
        "mocha+chai: sinon stub, then the stub asserted",
        "const { expect } = require('chai');\nconst math = require('../src/math');\n"
        "it('multiplies', function () {\n  sinon.stub(math, 'mul').returns(6);  // <-\n"
        "  expect(math.mul(2, 3)).to.equal(6);\n});\n",
        "TI007",
    ),
    (
        "|| true",
        "it('multiplies', () => {\n  expect(Number.isInteger(mul(2, 3)) || true).toBe(true);  // <-\n});\n",
        "TI008",
    ),
    (
        "node:test: assert.ok(x || true)",
        "const test = require('node:test');\nconst assert = require('node:assert');\n"
        "test('multiplies', () => {\n  assert.ok(mul(2, 3) === 6 || true);  // <-\n});\n",
        "TI008",
    ),
    (
        "length >= 0",
        "it('multiplies', () => {\n  const got = [mul(2, 3)];\n"
        "  expect(got.length).toBeGreaterThanOrEqual(0);  // <-\n});\n",
        "TI008",
    ),
    (
        "toBeDefined right after new",
        "it('multiplies', () => {\n  const m = new Map([[1, mul(2, 3)]]);\n"
        "  expect(m).toBeDefined();  // <-\n});\n",
        "TI008",
    ),
    (
        "mocha+chai: exist on an object the test built",
        "const { expect } = require('chai');\nit('multiplies', function () {\n"
        "  const got = { value: mul(2, 3) };\n  expect(got).to.exist;  // <-\n});\n",
        "TI008",
    ),
    (
        "expect(literal).toBeDefined()",
        "it('multiplies', () => {\n  mul(2, 3);\n  expect(6).toBeDefined();  // <-\n});\n",
        "TI002",
    ),
]

CLEAN = dedent(
    """\
    const assert = require('node:assert');
    import { add } from '../src/math';
    import { count } from '../src/users';
    import db from '../src/db';
    import * as math from '../src/math';

    jest.mock('../src/db');

    function checkSum(a, b) {
      expect(add(a, b)).toBe(a + b);
    }

    describe('math', () => {
      it('adds', () => {
        expect(add(2, 3)).toBe(5);
      });

      it('adds via a helper', () => {
        checkSum(4, 5);
      });

      test('node assert', () => {
        assert.strictEqual(add(1, 1), 2);
      });

      it('rejects bad input', async () => {
        expect.assertions(1);
        try {
          await count(null);
        } catch (e) {
          expect(e.message).toMatch(/bad/);
        }
      });

      it('counts rows from a mocked db', async () => {
        db.query.mockResolvedValue([1, 2]);
        expect(await count()).toBe(2);
        expect(db.query).toHaveBeenCalled();
      });

      it('collects errors', () => {
        const errors = [];
        try {
          add(1, 2);
        } catch (e) {
          errors.push(e);
        }
        expect(errors).toEqual([]);
      });

      it('closes quietly', async () => {
        const server = { close: async () => {} };
        expect(add(1, 2)).toBe(3);
        await server.close().catch(() => {});
      });

      it('rejects with a message', async () => {
        await expect(count(null)).rejects.toThrow(/bad/);
        assert.throws(() => add(), /missing/);
      });

      it('spies on a dependency and checks the unit', () => {
        const spy = jest.spyOn(db, 'query').mockReturnValue([1]);
        expect(add(1, 2)).toBe(3);
        expect(spy).not.toHaveBeenCalled();
      });

      it('spies without faking', () => {
        const spy = jest.spyOn(math, 'mul');
        expect(math.mul(2, 3)).toBe(6);
        expect(spy).toHaveBeenCalledWith(2, 3);
      });

      it('checks results that could be wrong', () => {
        const got = add(1, 2);
        expect(got).toBeDefined();
        expect(add(1, 2) === 3 || add(1, 2) === 4).toBe(true);
        expect([add(1, 2)].length).toBe(1);
        expect(add(1, 2)).not.toBe(add(2, 2));
        assert.notStrictEqual(add(1, 1), add(1, 2));
      });
    });

    describe('http', function () {
      it('writes a chunked body', function (done) {
        var test = request(app).post('/');
        test.set('Content-Type', 'application/json');
        test.write('{"a":');
        test.expect(413, done);
      });

      it('answers with supertest', function (done) {
        request(app)
          .get('/user/1')
          .expect(200, '{"id":1}', done);
      });

      it('uses should', function () {
        add(1, 2).should.equal(3);
      });

      it('passes errors to done', function (done) {
        count().then(function (n) {
          n.should.equal(0);
          done();
        }).catch(done);
      });

      it('renders', async () => {
        render(Page);
        screen.getByText('Hello');
        await screen.findByRole('button');
      });
    });
    """
)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body", "rule"), CHEATS, ids=[c[0] for c in CHEATS])
async def test_each_cheat_is_caught(tmp_path: Path, name: str, body: str, rule: str) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    text = HEAD + body
    write(repo, {"test/new.test.js": text})
    report = await check_test_integrity(repo, base_ref="HEAD")
    got = [(f.rule_id, f.file, f.line) for f in report.findings]
    assert got == [(rule, "test/new.test.js", marked_line(text, "// <-"))], name
    assert report.findings[0].fix_hint
    assert report.findings[0].severity == ("medium" if rule == "TI006" else "high")


@pytest.mark.anyio
async def test_jest_mock_of_the_module_named_like_the_test_file(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    text = dedent(
        """\
        import { mul } from '../mul';
        jest.mock('../mul');  // <-

        it('works', () => {
          mul.mockReturnValue(6);
          expect(mul).toBeDefined();
        });
        """
    )
    write(repo, {"src/__tests__/mul.test.ts": text})
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert [(f.rule_id, f.line) for f in report.findings] == [("TI006", marked_line(text, "// <-"))]


@pytest.mark.anyio
async def test_clean_tests_have_no_findings(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    write(repo, {"test/users.test.js": CLEAN})
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert report.files == ["test/users.test.js"]
    assert report.findings == []


@pytest.mark.anyio
async def test_only_changed_blocks_are_judged_and_old_skips_are_kept_quiet(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", BASE)
    path = "src/__tests__/math.test.js"
    text = BASE[path] + "\nit('adds negatives', () => { expect(add(-1, -2)).toBe(-3); });\n"
    write(repo, {path: text})
    report = await check_test_integrity(repo, base_ref="HEAD")
    # 'smoke' asserts nothing and 'adds later' is skipped, but both were there before the change.
    assert report.files == [path]
    assert report.findings == []

    text = text.replace("it('adds', ", "it.only('adds', ")
    write(repo, {path: text})
    report = await check_test_integrity(repo, base_ref="HEAD")
    assert [(f.rule_id, f.line) for f in report.findings] == [("TI005", marked_line(text, "it.only"))]
