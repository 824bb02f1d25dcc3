/** Word lists the generator draws names, errors and people from. Plausible, not real. */

export const SERVICE_PREFIXES = [
  'orders',
  'payments',
  'checkout',
  'inventory',
  'search',
  'auth',
  'email',
  'billing',
  'shipping',
  'catalog',
  'recommendations',
  'notifications',
  'profile',
  'cart',
  'gateway',
  'reports',
  'ledger',
  'pricing',
  'media',
  'reviews',
] as const;

export const BACKEND_SUFFIXES = ['api', 'worker', 'consumer', 'cron', 'py', 'go', 'svc'] as const;

export type ServiceKind = 'backend' | 'BROWSER' | 'ANDROID' | 'IOS' | 'FLUTTER' | 'REACT_NATIVE' | 'ROKU';

export const KIND_SUFFIX: Record<Exclude<ServiceKind, 'backend'>, string> = {
  BROWSER: 'web',
  ANDROID: 'android',
  IOS: 'ios',
  FLUTTER: 'flutter',
  REACT_NATIVE: 'rn',
  ROKU: 'roku',
};

export const MOBILE_PLATFORMS = ['ANDROID', 'IOS', 'FLUTTER', 'REACT_NATIVE', 'ROKU'] as const;

/** Service names that must survive query quoting, URL encoding and Hive partition escaping. */
export const ODD_SERVICE_NAMES = [
  'payments/api',
  'a=b',
  '100%',
  'with space',
  '#hash',
  'ünïcödé',
  'ctrl\u0007char',
  'quote"and\\backslash',
  '',
] as const;

export const BACKEND_LANGUAGES = [
  'GO',
  'PYTHON',
  'JAVA',
  'RUBY',
  'TYPESCRIPT',
  'PHP',
  'C_SHARP',
  'RUST',
] as const;

export const PLATFORM_LANGUAGES: Record<string, readonly string[]> = {
  BROWSER: ['JAVASCRIPT', 'TYPESCRIPT'],
  ANDROID: ['KOTLIN', 'JAVA'],
  IOS: ['SWIFT', 'OBJECTIVE_C'],
  FLUTTER: ['UNKNOWN'],
  REACT_NATIVE: ['JAVASCRIPT', 'TYPESCRIPT'],
  ROKU: ['BRIGHTSCRIPT'],
};

interface LanguageErrors {
  types: readonly string[];
  files: readonly string[];
  functions: readonly string[];
}

const JAVASCRIPT_ERRORS: LanguageErrors = {
  types: ['TypeError', 'ReferenceError', 'RangeError', 'ChunkLoadError', 'AbortError', 'SyntaxError'],
  files: [
    '/src/components/Cart.tsx',
    '/src/pages/checkout.js',
    '/static/js/main.4f2a.js',
    '/src/api/client.ts',
  ],
  functions: ['renderCart', 'onSubmit', 'fetchJson', 'useEffect', 'hydrate', 'parseResponse'],
};

export const LANGUAGE_ERRORS: Record<string, LanguageErrors> = {
  GO: {
    types: [
      '*errors.errorString',
      '*net.OpError',
      '*url.Error',
      'context.deadlineExceededError',
      'runtime.Error',
    ],
    files: ['/app/internal/handler/orders.go', '/app/pkg/db/pool.go', '/app/cmd/server/main.go'],
    functions: ['handler.(*Orders).Create', 'db.(*Pool).Acquire', 'main.run', 'http.(*Client).Do'],
  },
  PYTHON: {
    types: [
      'builtins.TypeError',
      'builtins.KeyError',
      'builtins.ValueError',
      'requests.exceptions.ConnectionError',
      'psycopg2.OperationalError',
    ],
    files: ['/app/conduit/apps/core/utils.py', '/app/billing/tasks.py', '/app/api/views.py'],
    functions: ['filter_forbidden_tags', 'charge_invoice', 'get_queryset', 'dispatch'],
  },
  JAVA: {
    types: [
      'java.lang.NullPointerException',
      'java.lang.IllegalStateException',
      'java.net.SocketTimeoutException',
      'java.util.ConcurrentModificationException',
    ],
    files: ['com/acme/orders/OrderService.java', 'com/acme/http/RetryingClient.java'],
    functions: ['OrderService.place', 'RetryingClient.execute', 'Scheduler.tick'],
  },
  RUBY: {
    types: ['NoMethodError', 'ActiveRecord::RecordNotFound', 'Timeout::Error', 'Redis::CannotConnectError'],
    files: ['app/controllers/orders_controller.rb', 'app/jobs/sync_job.rb', 'lib/payments/gateway.rb'],
    functions: ['OrdersController#show', 'SyncJob#perform', 'Gateway#charge'],
  },
  TYPESCRIPT: JAVASCRIPT_ERRORS,
  JAVASCRIPT: JAVASCRIPT_ERRORS,
  PHP: {
    types: ['ErrorException', 'PDOException', 'TypeError'],
    files: ['/var/www/src/Controller/CartController.php', '/var/www/src/Repository/UserRepository.php'],
    functions: ['CartController::add', 'UserRepository::find'],
  },
  C_SHARP: {
    types: ['System.NullReferenceException', 'System.InvalidOperationException', 'System.TimeoutException'],
    files: ['Services/InvoiceService.cs', 'Controllers/AccountController.cs'],
    functions: ['InvoiceService.Render', 'AccountController.Login'],
  },
  RUST: {
    types: ['panic', 'std::io::Error', 'tokio::time::error::Elapsed'],
    files: ['src/ingest/mod.rs', 'src/main.rs'],
    functions: ['ingest::process_batch', 'main'],
  },
  KOTLIN: {
    types: [
      'java.lang.IllegalArgumentException',
      'kotlin.UninitializedPropertyAccessException',
      'OutOfMemoryError',
    ],
    files: ['com/acme/app/ui/CartFragment.kt', 'com/acme/app/data/Repository.kt'],
    functions: ['CartFragment.onViewCreated', 'Repository.refresh'],
  },
  SWIFT: {
    types: ['NSInvalidArgumentException', 'EXC_BAD_ACCESS', 'NSRangeException', 'SIGABRT'],
    files: ['Acme/Views/CheckoutViewController.swift', 'Acme/Network/APIClient.swift'],
    functions: ['CheckoutViewController.viewDidLoad()', 'APIClient.send(_:)'],
  },
  OBJECTIVE_C: {
    types: ['NSInternalInconsistencyException', 'NSGenericException'],
    files: ['Acme/Legacy/ACMEPlayer.m'],
    functions: ['-[ACMEPlayer play]'],
  },
  UNKNOWN: {
    types: ['FlutterError', 'PlatformException', 'StateError'],
    files: ['lib/screens/home.dart', 'lib/services/api.dart'],
    functions: ['HomeScreen.build', 'ApiService.get'],
  },
  BRIGHTSCRIPT: {
    types: ['roku.RuntimeError', 'roku.TypeMismatch'],
    files: ['pkg:/components/VideoPlayer.brs', 'pkg:/source/main.brs'],
    functions: ['onVideoStateChange', 'main'],
  },
};

export const ERROR_MESSAGES = [
  "object of type 'NoneType' has no len()",
  'connection refused',
  'context deadline exceeded',
  "Cannot read properties of undefined (reading 'id')",
  'timeout after 30000ms',
  'duplicate key value violates unique constraint "orders_pkey"',
  'index out of range [3] with length 3',
  'unexpected EOF',
  'Loading chunk 42 failed.',
  'card declined: insufficient funds',
  'invalid memory address or nil pointer dereference',
  'too many open files',
  'upstream returned 503',
  'user not found',
  'lock wait timeout exceeded; try restarting transaction',
] as const;

export const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Radia',
  'Alan',
  'Frances',
];
export const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Perlman',
];

export const TEAM_WORDS = [
  'checkout',
  'platform',
  'mobile',
  'growth',
  'payments',
  'search',
  'infra',
  'identity',
  'data',
];

export const CASE_STATUSES = ['OPEN', 'IN_PROGRESS', 'CLOSED'] as const;
export const CASE_PRIORITIES = ['NOT_DEFINED', 'P1', 'P2', 'P3', 'P4', 'P5'] as const;
export const JIRA_PROJECTS = ['PAY', 'WEB', 'APP', 'OPS'] as const;
