# The crystal runtime's app skeleton: FaaSO owns this file, the funko owns funko.cr.
# Routes come from funko.cr (Kemal's DSL: get "/" do ... end); this file adds
# GET /ping and listens on 0.0.0.0:3000.
require "kemal"

get "/ping" do |env|
  env.response.content_type = "text/plain"
  "OK"
end

# Counts the requests being handled, so that a stop can wait for them. First in the chain.
class FaasoInFlight
  include HTTP::Handler
  class_getter count = 0

  def call(context)
    @@count += 1
    call_next(context)
  ensure
    @@count -= 1
  end
end

add_handler FaasoInFlight.new, 0

# One request log line per health check would drown the funko's own output:
# off, unless funko.cr turns it back on with `logging true`.
Kemal.config.logging = false

require "./funko"

module Kemal
  # FaaSO's startup line instead of Kemal's, printed once the port is bound.
  def self.display_startup_message(config, server)
    name = ENV["FAASO_FUNKO"]? || ""
    name = "funko" if name.empty?
    puts "#{name} (crystal) listening on port #{config.port}"
    STDOUT.flush
  end
end

# Kemal 1.3 traps only SIGINT, and then exits at once; as PID 1 the process would ignore SIGTERM.
# On SIGTERM (docker stop, a deploy or scale-down retiring this instance) and SIGINT alike: stop
# accepting requests, let those in flight finish (HTTP::Server#close does not wait for them), exit.
{Signal::TERM, Signal::INT}.each do |signal|
  signal.trap { Kemal.stop if Kemal.config.running }
end

Kemal.config.host_binding = "0.0.0.0"
Kemal.run(3000, trap_signal: false)
while FaasoInFlight.count > 0
  sleep 10.milliseconds
end
