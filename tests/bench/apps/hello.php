<?php
// hello.php — the hello app under PHP-FPM (Debian php8.2-fpm): the same
// head and body shape as examples/hello. PHP keeps nothing across requests,
// so the "count" is the worker's pid.
header('Content-Type: text/html; charset=utf-8');
echo "<h1>Hello from PHP-FPM!</h1>\n<p>Request served by ", getmypid(), "</p>\n";
