/**
 * List responses read as a stream (issue 14: one huge page of a list call was read whole). The Kubernetes client
 * reads every response body into one string and deserializes it; for list calls meshlint supplies its own HTTP
 * library to the client (the same `node-fetch` request the client's default library makes) that parses the body
 * with `stream-json`'s tokenizer as it arrives, keeps at most `maxItems` items, and stops reading there: a page
 * of 1 GB costs what its first `maxItems` items cost. The client itself then deserializes an empty list.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ResponseContext, wrapHttpLibrary, type HttpLibrary, type RequestContext } from '@kubernetes/client-node';
import fetch from 'node-fetch';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import Assembler from 'stream-json/assembler.js';
import { jsonParser, type Token } from 'stream-json/parser.js';

/** One page of a list call: its items (at most the `maxItems` asked for) and `metadata.continue`. */
export interface ListPage {
  items: Array<Record<string, unknown>>;
  metadata?: { continue?: string };
  /** The page held more than `maxItems` items: reading stopped there. */
  cut?: boolean;
}

/** A list call in progress: how many items to keep, and (after the call) the page or what was wrong with it. */
export interface ListExchange {
  maxItems: number;
  page?: ListPage;
  /** What is wrong with the body, in words that quote none of it (it may hold Secret data). */
  malformed?: string;
}

/** What the client deserializes in place of a list body meshlint parsed itself. */
const PARSED_ELSEWHERE = '{"items":[]}';

/**
 * The client's HTTP library with list bodies streamed: a successful response to a call with `list` set is parsed
 * by {@link readListPage} into `list.page` (or `list.malformed`); every other response is read whole, as the
 * client's own library does.
 */
export function listingHttpLibrary(list: ListExchange | undefined): HttpLibrary {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const response = await fetch(request.getUrl(), {
        method: request.getHttpMethod().toString(),
        body: request.getBody() as string | undefined,
        headers: request.getHeaders(),
        signal: request.getSignal() as never,
        agent: request.getAgent(),
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      if (list && response.status >= 200 && response.status < 300) {
        const read = await readListPage(response.body as unknown as Readable, list.maxItems);
        if ('malformed' in read) list.malformed = read.malformed;
        else list.page = read;
        return new ResponseContext(response.status, headers, { text: async () => PARSED_ELSEWHERE, binary: async () => Buffer.from(PARSED_ELSEWHERE) });
      }
      return new ResponseContext(response.status, headers, { text: () => response.text(), binary: () => response.buffer() });
    },
  });
}

/**
 * Parses a list response body as it arrives: `items` (each assembled on its own, at most `maxItems`; reading
 * stops at the next one, and the page is `cut`) and `metadata.continue`; other keys are skipped unassembled.
 * Never throws for bad content: `malformed` says what is wrong (`an empty body`, `a body that is not JSON (…)`,
 * `a JSON array, not a list object`, `a JSON object whose items is …, not a list`). Errors of the stream itself
 * (an abort, a reset connection) are thrown.
 */
export async function readListPage(body: Readable, maxItems: number): Promise<ListPage | { malformed: string }> {
  const page = new ListPageStream(maxItems);
  const decoder = new StringDecoder('utf8');
  const tokenize = jsonParser({ streamValues: false, maxDepth: 512 });
  let bytes = 0;
  let last = '';
  const feed = (text: string | typeof none): boolean => {
    try {
      const out = (tokenize as unknown as (chunk: string | typeof none) => unknown)(text);
      if (out === none) return true;
      for (const token of isMany(out) ? (getManyValues(out) as Token[]) : [out as Token]) if (!page.token(token)) return false;
      return true;
    } catch {
      page.notJson = true;
      return false;
    }
  };
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    const text = decoder.write(buffer);
    const trimmed = text.trimEnd();
    if (trimmed) last = trimmed[trimmed.length - 1]!;
    if (!feed(text)) {
      body.destroy();
      return page.result(bytes, true);
    }
  }
  const rest = decoder.end();
  if (rest.trimEnd()) last = rest.trimEnd().slice(-1);
  if (bytes === 0 || last === '') return { malformed: 'an empty body' };
  if (!feed(rest) || !feed(none)) return page.result(bytes, last !== '}' && last !== ']');
  return page.result(bytes, false);
}

/** The state of one list body's tokens: top-level keys, the items array, the metadata mapping. */
class ListPageStream {
  notJson = false;
  private readonly items: Array<Record<string, unknown>> = [];
  private metadata: unknown;
  /** What the top-level value is, once its first token is seen. */
  private top: 'object' | 'array' | 'null' | 'string' | 'number' | 'boolean' | undefined;
  /** What the value of `items` was, when it was not an array. */
  private itemsWere: string | undefined;
  private sawItems = false;
  private key: string | undefined;
  /** Containers open inside the top-level object, for values skipped unassembled. */
  private skipDepth = 0;
  private inItems = false;
  private assembling: { into: 'item' | 'metadata'; assembler: Assembler } | undefined;
  private cut = false;

  constructor(private readonly maxItems: number) {}

  /** Takes one token; false once reading should stop (enough items, or not a list object). */
  token(token: Token): boolean {
    if (this.top === undefined) {
      this.top = START_KIND[token.name];
      return this.top === 'object';
    }
    if (this.assembling) {
      this.assembling.assembler.consume(token);
      if (this.assembling.assembler.done) return this.assembled();
      return true;
    }
    if (this.skipDepth > 0) {
      if (token.name === 'startObject' || token.name === 'startArray') this.skipDepth++;
      else if (token.name === 'endObject' || token.name === 'endArray') this.skipDepth--;
      return true;
    }
    if (this.inItems) {
      if (token.name === 'endArray') {
        this.inItems = false;
        return true;
      }
      if (this.items.length >= this.maxItems) {
        this.cut = true;
        return false;
      }
      return this.assemble('item', token);
    }
    switch (token.name) {
      case 'keyValue':
        this.key = token.value;
        return true;
      case 'endObject':
        return true;
      default:
        break;
    }
    if (this.key === 'items') {
      this.sawItems = true;
      if (token.name === 'startArray') {
        this.inItems = true;
        this.itemsWere = undefined;
        return true;
      }
      this.itemsWere = token.name === 'nullValue' ? 'null' : token.name === 'startObject' ? 'an object' : `a ${START_KIND[token.name]}`;
    } else if (this.key === 'metadata') {
      return this.assemble('metadata', token);
    }
    if (token.name === 'startObject' || token.name === 'startArray') this.skipDepth = 1;
    return true;
  }

  private assemble(into: 'item' | 'metadata', token: Token): boolean {
    const assembler = new Assembler();
    this.assembling = { into, assembler };
    assembler.consume(token);
    return assembler.done ? this.assembled() : true;
  }

  private assembled(): boolean {
    const { into, assembler } = this.assembling!;
    this.assembling = undefined;
    if (into === 'metadata') this.metadata = assembler.current;
    else this.items.push(assembler.current as Record<string, unknown>);
    return true;
  }

  /** The page, or what is wrong with the body; `cutOff`: the body ended (or failed) where a JSON text cannot. */
  result(bytes: number, cutOff: boolean): ListPage | { malformed: string } {
    if (this.notJson) return { malformed: `a body that is not JSON (${bytes.toLocaleString('en-US')} bytes${cutOff ? ', cut off?' : ''})` };
    if (this.top !== 'object') return { malformed: this.top === 'array' ? 'a JSON array, not a list object' : `a JSON ${this.top ?? 'value'}, not a list object` };
    if (this.cut) return { items: this.items, metadata: continueOf(this.metadata), cut: true };
    // `items: null` is what some servers send for an empty list.
    if (this.itemsWere === 'null') return { items: [], metadata: continueOf(this.metadata) };
    if (!this.sawItems || this.itemsWere) return { malformed: `a JSON object whose items is ${this.itemsWere ?? 'missing'}, not a list` };
    return { items: this.items, metadata: continueOf(this.metadata) };
  }
}

/** What a value starting with each token is. */
const START_KIND: Partial<Record<Token['name'], 'object' | 'array' | 'null' | 'string' | 'number' | 'boolean'>> = {
  startObject: 'object',
  startArray: 'array',
  nullValue: 'null',
  stringValue: 'string',
  numberValue: 'number',
  trueValue: 'boolean',
  falseValue: 'boolean',
};

/** `metadata.continue` when it is a string. */
function continueOf(metadata: unknown): { continue?: string } | undefined {
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const token = (metadata as { continue?: unknown }).continue;
  return typeof token === 'string' ? { continue: token } : {};
}
