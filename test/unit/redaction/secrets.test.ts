// Secrets in values (src/redaction/secrets.ts): the cases issue 18 lists, and what must stay.
import { describe, expect, it } from 'vitest';
import { isSecretName, REDACTED, redactArgs, redactCommand } from '../../../src/redaction/index';
import { redactText } from '../../../src/redaction/text';

const R = REDACTED;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM';

describe('secret values', () => {
  it('?key= and ?sig= in URL arguments; other parameters stay', () => {
    expect(redactArgs(['https://maps.example/api?key=AIzaSyA&page=2', 'https://blob.example/c/f?sv=2022&sig=abc%3D&se=2030'])).toEqual([
      `https://maps.example/api?key=${R}&page=2`,
      `https://blob.example/c/f?sv=2022&sig=${R}&se=2030`,
    ]);
    expect(redactArgs(['https://x.example/?keyboard=1&signal=2'])).toEqual(['https://x.example/?keyboard=1&signal=2']);
  });

  it('MYSQL_PWD=x and other *_PWD; PWD and OLDPWD (directories) stay', () => {
    expect(redactArgs(['MYSQL_PWD=x', 'DB_PWD=y', 'PWD=/home/me', 'OLDPWD=/tmp'])).toEqual([`MYSQL_PWD=${R}`, `DB_PWD=${R}`, 'PWD=/home/me', 'OLDPWD=/tmp']);
  });

  it('psql "… password=x" (a conninfo string); the other pairs stay', () => {
    expect(redactCommand('psql', ['host=db port=5432 user=app password=hunter2 dbname=prod'])).toEqual([`host=db port=5432 user=app password=${R} dbname=prod`]);
    expect(redactCommand('psql', ["host=db password='two words' sslmode=require"])).toEqual([`host=db password=${R} sslmode=require`]);
    expect(redactCommand('psql', ['host=db user=app'])).toEqual(['host=db user=app']);
  });

  it('helm --set db.password=x, also in a comma list; --set replicas=3 stays', () => {
    expect(redactCommand('helm', ['install', 'app', '--set', 'replicas=3,db.password=x,image.tag=1.2', '--set', 'replicas=3'])).toEqual([
      'install', 'app', '--set', `replicas=3,db.password=${R},image.tag=1.2`, '--set', 'replicas=3',
    ]);
    expect(redactCommand('helm', ['upgrade', 'app', '--set=auth.token=t'])).toEqual(['upgrade', 'app', `--set=auth.token=${R}`]);
  });

  it('npm config set //reg/:_authToken=x; other registry keys stay', () => {
    expect(redactCommand('npm', ['config', 'set', '//registry.example/:_authToken=npm_abc'])).toEqual(['config', 'set', `//registry.example/:_authToken=${R}`]);
    expect(redactCommand('npm', ['config', 'set', '//registry.example/:_password=cHc='])).toEqual(['config', 'set', `//registry.example/:_password=${R}`]);
    expect(redactCommand('npm', ['config', 'set', '//registry.example/:always-auth=true'])).toEqual(['config', 'set', '//registry.example/:always-auth=true']);
    expect(redactCommand('npm', ['config', 'set', '//registry.example/:email=me@example.com'])).toEqual(['config', 'set', '//registry.example/:email=me@example.com']);
  });

  it('a JWT inside a longer value', () => {
    expect(redactArgs([`Bearer:${JWT}`, `--header=X-Id: ${JWT}`, `cfg=a,jwt=${JWT}`, `prefix${JWT}`])).toEqual([`Bearer:${R}`, `--header=X-Id: ${R}`, `cfg=a,jwt=${R}`, `prefix${R}`]);
    expect(redactArgs(['eyJust-a-word', 'keyJSON.example'])).toEqual(['eyJust-a-word', 'keyJSON.example']);
  });
});

describe('secret names are not found inside ordinary words', () => {
  it.each([
    ['authorization', true],
    ['Authorisation', true],
    ['x-auth-token', true],
    ['oauth', true],
    ['basic_auth', true],
    ['author', false],
    ['authors', false],
    ['authority', false],
  ])('%s: %s', (name, secret) => expect(isSecretName(name)).toBe(secret));

  it('free text keeps author= and authority= (a commit message in an error), and still hides auth=', () => {
    expect(redactText('commit by author=bob authority=ca1 failed: auth=hunter2')).toBe(`commit by author=bob authority=ca1 failed: auth=${REDACTED}`);
  });
});
