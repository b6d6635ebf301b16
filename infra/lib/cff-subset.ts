/**
 * Refuses JavaScript outside the cloudfront-js-2.0 subset. AWS's page "JavaScript runtime 2.0
 * features for CloudFront Functions" lists what the runtime runs: ES 5.1 statements, expressions
 * and functions, plus `const`/`let`, template literals, arrow functions, rest parameters, `**`
 * and `async`/`await` — where "async arguments and closures are not supported". Every syntax node
 * of the code must be of a kind that page lists (an allowlist, so a construct nobody thought of
 * is refused too), and `await` may only produce a whole statement's value inside a top-level
 * async function.
 */
import { parse, type Node } from 'acorn';
import { fullAncestor } from 'acorn-walk';

/** The modules CloudFront Functions can import. */
const MODULES = ['crypto', 'cloudfront'];

/** Node kinds of ES 5.1 plus the documented additions. */
const ALLOWED = new Set([
  'Program', 'ImportDeclaration', 'ImportDefaultSpecifier',
  // statements
  'BlockStatement', 'EmptyStatement', 'ExpressionStatement', 'IfStatement', 'LabeledStatement',
  'BreakStatement', 'ContinueStatement', 'SwitchStatement', 'SwitchCase', 'ReturnStatement',
  'ThrowStatement', 'TryStatement', 'CatchClause', 'WhileStatement', 'DoWhileStatement',
  'ForStatement', 'ForInStatement', 'VariableDeclaration', 'VariableDeclarator', 'FunctionDeclaration',
  // expressions
  'Identifier', 'Literal', 'ThisExpression', 'ArrayExpression', 'ObjectExpression', 'Property',
  'FunctionExpression', 'ArrowFunctionExpression', 'UnaryExpression', 'UpdateExpression',
  'BinaryExpression', 'AssignmentExpression', 'LogicalExpression', 'MemberExpression',
  'ConditionalExpression', 'CallExpression', 'NewExpression', 'SequenceExpression',
  'TemplateLiteral', 'TemplateElement', 'AwaitExpression', 'RestElement',
]);

/** Operators newer than ES 5.1 that the page does not list (`**` is listed). */
const NEWER_OPERATORS = new Set(['??', '??=', '||=', '&&=']);

type AnyNode = Node & Record<string, unknown>;

/** Every construct in `code` that CloudFront's runtime would refuse, with its offset. */
export function subsetViolations(code: string): string[] {
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: 2022, sourceType: 'module' });
  } catch (e) {
    return [`does not parse: ${(e as Error).message}`];
  }
  const problems: string[] = [];
  const at = (n: Node, what: string) => problems.push(`${what} at offset ${n.start}: ${code.slice(n.start, n.start + 40)}`);
  fullAncestor(ast, (node: Node, _state: unknown, ancestors: Node[]) => {
    const n = node as AnyNode;
    const parent = ancestors[ancestors.length - 2] as AnyNode | undefined;
    if (!ALLOWED.has(n.type)) {
      at(n, `${n.type} is not in cloudfront-js-2.0`);
      return;
    }
    switch (n.type) {
      case 'ImportDeclaration': {
        const source = (n.source as { value: string }).value;
        if (!MODULES.includes(source)) at(n, `module '${source}' is not one CloudFront offers`);
        break;
      }
      case 'Property':
        if (n.kind !== 'init' || n.method || n.shorthand || n.computed) at(n, 'ES6 object literal syntax');
        break;
      case 'BinaryExpression':
      case 'LogicalExpression':
      case 'AssignmentExpression':
        if (NEWER_OPERATORS.has(n.operator as string)) at(n, `operator ${n.operator as string}`);
        break;
      case 'MemberExpression':
      case 'CallExpression':
        if (n.optional) at(n, 'optional chaining');
        break;
      case 'RestElement':
        // Rest parameters are listed; rest in destructuring is not (and destructuring is refused).
        if (!parent || !['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'].includes(parent.type)) {
          at(n, 'rest element outside a parameter list');
        }
        break;
      case 'Literal':
        if (n.regex && /[suyd]/.test((n.regex as { flags: string }).flags)) at(n, 'regular expression flag newer than ES 5.1');
        if (typeof n.bigint === 'string') at(n, 'BigInt literal');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (n.generator) at(n, 'generator function');
        if (n.async && !(n.type === 'FunctionDeclaration' && parent?.type === 'Program')) {
          at(n, 'async closure (only top-level async functions are supported)');
        }
        for (const p of n.params as AnyNode[]) {
          if (p.type !== 'Identifier' && p.type !== 'RestElement') at(p, 'default or destructured parameter');
        }
        break;
      case 'AwaitExpression': {
        // `x = await f()`, `const x = await f()`, `await f();`, `return await f()`: nothing else.
        const whole =
          (parent?.type === 'VariableDeclarator' && parent.init === n) ||
          (parent?.type === 'AssignmentExpression' && parent.right === n) ||
          parent?.type === 'ExpressionStatement' ||
          parent?.type === 'ReturnStatement';
        if (!whole) at(n, 'await inside an expression (an async argument)');
        break;
      }
      case 'VariableDeclarator':
        if ((n.id as AnyNode).type !== 'Identifier') at(n, 'destructuring declaration');
        break;
    }
  });
  const body = (ast as unknown as { body: AnyNode[] }).body;
  const handler = body.find((s) => s.type === 'FunctionDeclaration' && (s.id as { name: string }).name === 'handler');
  if (!handler) problems.push('no top-level function named handler');
  return problems;
}
