# The crystal runtime's app skeleton: FaaSO owns this file, the funko owns funko.cr.
# Routes come from funko.cr (Kemal's DSL: get "/" do ... end); this file adds
# GET /ping and listens on 0.0.0.0:3000.
require "kemal"

get "/ping" do |env|
  env.response.content_type = "text/plain"
  "OK"
end

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

# As PID 1 the process ignores SIGTERM unless it handles it (Kemal 1.3 handles only SIGINT).
Signal::TERM.trap { exit }

Kemal.config.host_binding = "0.0.0.0"
Kemal.run(3000)
