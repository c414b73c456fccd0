// neuCRM's reference flow through the TypeScript client that @hey-api/openapi-ts generates from
// docs/openapi.yaml: create, list with filters and sort, update, a service, a cursor page, an
// error envelope, delete, and a profiled form key's delivery (a `json` profile set by
// user/update); against the real binary on moto (infra/clients.sh starts both,
// generates the client into .generated/ts/client and compiles this with it).
// Usage: BASE_URL=http://127.0.0.1:PORT node .generated/ts-out/flow.test.js
// Prints one line per step and closes with "N passed, N failed".
import { client } from './.generated/ts/client/client.gen.js';
import {
  customerCreate, customerDelete, customerList, customerUpdate, serviceCreate, serviceDelete,
  serviceList, userUpdate,
} from './.generated/ts/client/sdk.gen.js';

// make dev's seeded ISP user (infra/seed.sh): ISP 1, reseller 1
const headers = { 'X-Userid': 5, 'X-Api-Key': '0f9895fb407c83e5ea128082098b47681aa75d6944576423c4' };
// make dev's seeded form key (reseller 1), given a `json` profile by the flow, and the profile's
// field map: customer field -> JSON Pointer into the delivery
const formKey = { 'X-Userid': 10, 'X-Api-Key': 'f00fdev0form0key000000000000000000000000000000000010' };
const jsonMap = {
  type: { const: 'Individual' }, name: '/contact/name', email: '/contact/email', mobile: '/contact/phone',
  street: '/address/street', city: '/address/city', state: '/address/state', zipcode: '/address/zip',
  idempotency_key: '/submission',
};
const run = String(Date.now() % 1e8); // a name prefix of this run's customers
client.setConfig({ baseUrl: process.env.BASE_URL });

function check(ok: boolean, what: unknown): void {
  if (!ok) throw new Error(JSON.stringify(what));
}

const made: Record<string, number> = {};
const steps: [string, () => Promise<void>][] = [
  ['create', async () => {
    for (const [i, name] of ['Zed', 'Ann'].entries()) {
      const { data, error } = await customerCreate({ headers, body: {
        type: 'Individual', name: `TsClient${run} ${name}`, mobile: `+9197${run}${i}`,
        email: `${name.toLowerCase()}${run}@example.com`, zipcode: '403001', state: 'Goa',
        city: 'Panaji', street: '1 Road', resellerid: 1,
      } });
      check(data !== undefined && typeof data.result === 'number', error);
      made[name] = data!.result;
    }
  }],
  ['list with a filter and sort', async () => {
    const { data, error } = await customerList({ headers, body: {
      name: `TsClient${run}%`, sort_field: 'name', sort_order: 'desc',
    } });
    const rows = data?.result;
    check(Array.isArray(rows), error);
    const names = (rows as { name: string }[]).map((c) => c.name);
    check(names.join() === [`TsClient${run} Zed`, `TsClient${run} Ann`].join(), names);
    const count = await customerList({ headers, body: { name: `TsClient${run}%`, show_count: 1 } });
    check(count.data?.result === 2, count.data ?? count.error);
  }],
  ['update', async () => {
    const { data, error } = await customerUpdate({ headers, body: { customerid: made.Ann, city: 'Margao' } });
    check(data?.result === 'done', error);
    const page = await customerList({ headers, body: { customerid: made.Ann } });
    const rows = page.data?.result as { city: string }[];
    check(rows.length === 1 && rows[0].city === 'Margao', rows);
  }],
  ['a service', async () => {
    const username = `ts${run}@isp`;
    const created = await serviceCreate({ headers, body: { customerid: made.Ann, username, plan: 'Home 100' } });
    check(typeof created.data?.result === 'number', created.error);
    const listed = await serviceList({ headers, body: { customerid: made.Ann } });
    const rows = listed.data?.result as { id: number; username: string }[];
    check(rows.length === 1 && rows[0].id === created.data!.result && rows[0].username === username, rows);
    made.service = created.data!.result;
  }],
  ['a cursor page', async () => {
    const body = { name: `TsClient${run}%`, sort_field: 'name' as const, rows_limit: 1 };
    const first = await customerList({ headers, body: { ...body, cursor: '' } });
    check(typeof first.data?.next === 'string', first.data ?? first.error);
    const second = await customerList({ headers, body: { ...body, cursor: first.data!.next } });
    const names = [...(first.data!.result as { name: string }[]), ...(second.data?.result as { name: string }[])]
      .map((c) => c.name);
    check(names.join() === [`TsClient${run} Ann`, `TsClient${run} Zed`].join(), names);
  }],
  ['an error envelope', async () => {
    const { data, error, response } = await customerUpdate({ headers, body: { customerid: made.Ann, mobile: '12' } });
    check(data === undefined && response.status === 400, response.status);
    check(error?.result === null && error?.error === 'mobile: must be 6 to 15 digits', error);
  }],
  ['delete', async () => {
    const gone = await serviceDelete({ headers, body: { serviceid: made.service } });
    check(gone.data?.result === 'done', gone.error);
    for (const name of ['Ann', 'Zed']) {
      const { data, error } = await customerDelete({ headers, body: { customerid: made[name] } });
      check(data?.result === 'done', error);
    }
    const left = await customerList({ headers, body: { name: `TsClient${run}%`, show_count: 1 } });
    check(left.data?.result === 0, left.data ?? left.error);
  }],
  ["a profiled form key's delivery", async () => {
    const setup = await userUpdate({ headers, body: {
      target_userid: formKey['X-Userid'], form_profile: 'json', form_map: JSON.stringify(jsonMap),
    } });
    check(setup.data?.result === 'done', setup.error);
    const { data, error } = await customerCreate({ headers: formKey, body: {
      submission: `ts${run}`,
      contact: { name: `TsClient${run} Form`, email: `form${run}@example.com`, phone: `+9195${run}` },
      address: { street: '2 Road', city: 'Panaji', state: 'Goa', zip: '403001' },
    } });
    check(data !== undefined && typeof data.result === 'number', error);
    const page = await customerList({ headers, body: { customerid: data!.result } });
    const rows = page.data?.result as { name: string; email: string }[];
    check(rows.length === 1 && rows[0].name === `TsClient${run} Form` && rows[0].email === `form${run}@example.com`, rows);
    const gone = await customerDelete({ headers, body: { customerid: data!.result } });
    check(gone.data?.result === 'done', gone.error);
  }],
];

let passed = 0;
let failed = 0;
for (const [name, step] of steps) {
  try {
    await step();
    passed += 1;
    console.log(`ok   typescript client: ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL typescript client: ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
